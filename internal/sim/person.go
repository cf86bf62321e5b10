package sim

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// This file makes the synthetic identity of a simulated case: clearly fake
// names and addresses, reserved-looking numbers, drawn from the case seed.

// person is the synthetic identity of a case: clearly fake names, an
// example.com address, reserved-looking numbers.
type person struct {
	first, last, birthName, birthDate, birthPlace string
	street, postal, city                          string
	email, phone                                  string
	docType, eidType, docNumber                   string
	docIssued, docExpiry, authority               string
	dlNumber, dlIssued, dlExpiry                  string
	dkk, postOffice, checkout                     string
}

var (
	femaleFirst = []string{"Erika", "Anna", "Lena", "Sabine", "Julia", "Marie"}
	maleFirst   = []string{"Max", "Jonas", "Paul", "Felix", "Thomas", "Lukas"}
	femaleLast  = []string{"Testfrau", "Beispiel", "Simulantin", "Probefrau"}
	maleLast    = []string{"Testmann", "Beispiel", "Simulant", "Probemann"}
	birthNames  = []string{"Vorher", "Ehemals", "Geburtstest", "Ursprung"}
	cities      = [][2]string{{"Bonn", "53113"}, {"Köln", "51147"}, {"Berlin", "10115"}, {"Hamburg", "20095"}, {"München", "80331"}}
	streets     = []string{"Simulationsweg", "Teststraße", "Beispielallee", "Musterpfad"}
)

func newPerson(r *rand.Rand, created time.Time) *person {
	p := &person{}
	if r.IntN(2) == 0 {
		p.first, p.last = femaleFirst[r.IntN(len(femaleFirst))], femaleLast[r.IntN(len(femaleLast))]
	} else {
		p.first, p.last = maleFirst[r.IntN(len(maleFirst))], maleLast[r.IntN(len(maleLast))]
	}
	p.birthName = birthNames[r.IntN(len(birthNames))]
	p.birthDate = time.Date(1950+r.IntN(55), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	home := cities[r.IntN(len(cities))]
	p.birthPlace = cities[r.IntN(len(cities))][0]
	p.street = fmt.Sprintf("%s %d", streets[r.IntN(len(streets))], 1+r.IntN(99))
	p.city, p.postal = home[0], home[1]
	p.email = strings.ToLower(p.first+"."+p.last) + "@example.com"
	p.phone = fmt.Sprintf("+49155%07d", r.IntN(10000000))
	p.docType = []string{"1", "1", "1", "2"}[r.IntN(4)]
	p.eidType = []string{"1", "1", "3", "13"}[r.IntN(4)]
	p.docNumber = fmt.Sprintf("TSIM%05d", r.IntN(100000))
	issued := created.AddDate(-1-r.IntN(8), -r.IntN(12), 0)
	p.docIssued = issued.Format(time.DateOnly)
	p.docExpiry = issued.AddDate(10, 0, -1).Format(time.DateOnly)
	p.authority = "Stadt " + home[0]
	p.dlNumber = fmt.Sprintf("SIM%08d", r.IntN(100000000))
	dl := created.AddDate(-1-r.IntN(10), 0, 0)
	p.dlIssued = dl.Format(time.DateOnly)
	p.dlExpiry = dl.AddDate(15, 0, -1).Format(time.DateOnly)
	var dkk [32]byte
	for i := range dkk {
		dkk[i] = byte(r.Uint32())
	}
	p.dkk = strings.ToUpper(hex.EncodeToString(dkk[:]))
	p.postOffice = strconv.Itoa(200000000 + r.IntN(99999999))
	p.checkout = fmt.Sprintf("%08d %04d", r.IntN(100000000), r.IntN(10000))
	return p
}
