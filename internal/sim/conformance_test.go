package sim

import "testing"

// TestConformanceWalk walks what the guide (SCR-Ident API Guide 2 - Result)
// mandates, section by section, against the simulator over HTTP, most of it
// through the connector's own client: the simulator is only worth testing
// against if it behaves as the guide says. Each step names its section; run
// one with -run 'TestConformanceWalk/7.5'.
func TestConformanceWalk(t *testing.T) {
	for _, step := range []struct {
		section string
		run     func(*testing.T)
	}{
		{"2.6 and 4 every status and sub-status code of the catalog is reachable", catalogEveryCodeReachable},
		{"7.2.4 Basic authentication, client id in the path", apiAuth},
		{"7.2.3 and 7.7 paths, errors with a body", apiNotFoundAndRouting},
		{"7.3 and 7.4 what each single-case endpoint carries", apiSingleCaseShapes},
		{"7.4.1 the sample case, served as the guide shows it", guideSample741},
		{"7.4.2 the status shape of the sample", guideSample742},
		{"7.4.1 includeBinaryData and includeResultPdf, by regulatory class", guideSampleBinary},
		{"7.5.1 and 7.5.2 list filters and their defaults", apiListFilters},
		{"7.5 1000 cases a page, X-PARTIAL-DELIVERY, paging", apiListLimit},
		{"7.6 archiving, 10000 ids a call", apiArchive},
		{"7.6.1 the archive answer is a list of CaseStatus", guide761ArchiveAnswer},
		{"8.5 8.6.2 8.6.3 status change when provided data differs", guide85ChangeStatus},
		{"8.6.7 record types resultdata and resultimages", guide867ResultPDFTypes},
	} {
		t.Run(step.section, step.run)
	}
}
