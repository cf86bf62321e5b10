package scr

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeEidSpellings: decodeCase and decodeList accept the eID object
// under the guide table's spelling "additionaDataEid" as well as under
// "additionalDataEid", with the same result; the correct spelling wins when
// both are present.
func TestDecodeEidSpellings(t *testing.T) {
	const marker = `"primaryIdent": {`
	if !bytes.Contains(sampleFull(), []byte(marker)) {
		t.Fatal("the guide sample changed: no primaryIdent")
	}
	with := func(members string) []byte {
		return []byte(strings.Replace(string(sampleFull()), marker, marker+members, 1))
	}
	correct := with(`"additionalDataEid":{"dkk":"BB30"},`)
	tests := []struct {
		name string
		doc  []byte
		dkk  string
	}{
		{"correct", correct, "BB30"},
		{"misspelled", with(`"additionaDataEid":{"dkk":"BB30"},`), "BB30"},
		{"both", with(`"additionaDataEid":{"dkk":"OTHER"},"additionalDataEid":{"dkk":"BB30"},`), "BB30"},
		{"correct null", with(`"additionalDataEid":null,"additionaDataEid":{"dkk":"BB30"},`), "BB30"},
	}
	want, err := decodeCase(correct, testCaseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCase(tt.doc, testCaseID)
			if err != nil {
				t.Fatal(err)
			}
			if e := got.Primary().AdditionalDataEid; e == nil || string(e.DKK) != tt.dkk {
				t.Fatalf("single: additionalDataEid = %+v, want dkk %s", e, tt.dkk)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("single: differs from the correctly spelled case:\n%+v\n%+v", got, want)
			}
			list, bad, err := decodeList(listOf(sampleStatus(), tt.doc, tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if bad != nil || len(list) != 3 {
				t.Fatalf("list: %d cases, want 3", len(list))
			}
			for i, c := range list[1:] {
				if !reflect.DeepEqual(&c, want) {
					t.Errorf("list entry %d differs from the correctly spelled case:\n%+v\n%+v", i+1, c, want)
				}
			}
		})
	}
}

// TestDecodeIdentificationTypeError: an identification that is not an
// object is a decoding error that names the field path from the top and
// the domain type, not a helper type.
func TestDecodeIdentificationTypeError(t *testing.T) {
	_, err := decodeCase([]byte(`{"caseId":"A1","identifications":[{},"x"]}`), "")
	if !errors.Is(err, errDecode) {
		t.Fatalf("error %v is not a decoding error", err)
	}
	for _, want := range []string{"identifications", "connector.IdentificationResult"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
