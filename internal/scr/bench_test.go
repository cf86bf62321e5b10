package scr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// BenchmarkGetCaseDecrypt measures the hot path of the processor: decrypt
// one case (RSA-3072, A256GCM) and decode it.
func BenchmarkGetCaseDecrypt(b *testing.B) {
	c := &Client{cfg: Config{PrivateKey: key3072()}}
	body := []byte(encryptFor(b, &key3072().PublicKey, jose.A256GCM, sampleFull()))
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		plain, err := c.plaintext(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decodeCase(plain, testCaseID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/case")
}

// BenchmarkListDecrypt1000 measures a full list page of the reconciler:
// 1000 cases in one JWE (RSA-3072, A256GCM).
func BenchmarkListDecrypt1000(b *testing.B) {
	const n = 1000
	items := make([][]byte, n)
	for i := range items {
		items[i] = []byte(strings.Replace(string(sampleFull()), testCaseID, fmt.Sprintf("C%011d", i), 1))
	}
	c := &Client{cfg: Config{PrivateKey: key3072()}}
	body := []byte(encryptFor(b, &key3072().PublicKey, jose.A256GCM, listOf(items...)))
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		plain, err := c.plaintext(body)
		if err != nil {
			b.Fatal(err)
		}
		cases, _, err := decodeList(plain)
		if err != nil || len(cases) != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/case")
}

// BenchmarkDecodeCase is decodeCase alone on the guide's 7.4.1 sample: the
// JSON half of BenchmarkGetCaseDecrypt, without the RSA cost that hides it.
func BenchmarkDecodeCase(b *testing.B) {
	plain := sampleFull()
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeCase(plain, testCaseID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeList1000 is decodeList alone on a 1000-case page.
func BenchmarkDecodeList1000(b *testing.B) {
	const n = 1000
	items := make([][]byte, n)
	for i := range items {
		items[i] = []byte(strings.Replace(string(sampleFull()), testCaseID, fmt.Sprintf("C%011d", i), 1))
	}
	plain := listOf(items...)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		cases, _, err := decodeList(plain)
		if err != nil || len(cases) != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/case")
}
