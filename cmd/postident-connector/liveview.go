package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/app"
	"github.com/postident-connector/postident-connector/internal/avro"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/telemetry"
)

// liveView prints the events of the status and result topics as they are
// produced, decoded, one line each, with personal data masked.
func liveView(ctx context.Context, cfg *app.Config, out io.Writer) {
	codec, err := avro.New(avro.Config{RegistryURL: cfg.Registry.URL, RegistryUsername: cfg.Registry.Username, RegistryPassword: cfg.Registry.Password})
	if err != nil {
		fmt.Fprintln(out, "live view:", err)
		return
	}
	kcfg := kafka.Config{Brokers: cfg.Kafka.Brokers, ClientID: "postident-dev-view"}
	var mu sync.Mutex
	print := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(out, line)
	}
	group := fmt.Sprintf("postident-dev-view-%d", time.Now().UnixNano())
	var wg sync.WaitGroup
	for _, topic := range []string{cfg.Topics.Status, cfg.Topics.Result} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := kafka.NewReader(kafka.ReaderConfig{Config: kcfg, GroupID: group + topic, Topic: topic})
			if err != nil {
				print("live view: " + err.Error())
				return
			}
			defer r.Close()
			for {
				m, err := r.Fetch(ctx)
				if err != nil {
					return
				}
				if line := describe(ctx, codec, topic == cfg.Topics.Result, m); line != "" {
					print(line)
				}
			}
		}()
	}
	wg.Wait()
}

// describe renders one event as a line; personal data is masked.
func describe(ctx context.Context, codec *avro.Codec, result bool, m connector.Message) string {
	ts := m.Time.Local().Format("15:04:05")
	origin := string(m.Header("postident-origin"))
	if result {
		var ev connector.CaseResultEvent
		if err := codec.Decode(ctx, m.Value, &ev); err != nil {
			return fmt.Sprintf("%s  result  %s  (undecodable: %v)", ts, m.Key, err)
		}
		return fmt.Sprintf("%s  RESULT  %-12s %-6s %-9s %s  [%s]", ts, ev.CaseID, deref(ev.Method()), deref(ev.Status()), maskedPerson(&ev), origin)
	}
	var ev connector.CaseStatusChanged
	if err := codec.Decode(ctx, m.Value, &ev); err != nil {
		return fmt.Sprintf("%s  status  %s  (undecodable: %v)", ts, m.Key, err)
	}
	detail := deref(ev.Status)
	if ev.SubStatusCode != nil {
		detail += fmt.Sprintf(" %d", *ev.SubStatusCode)
		if ev.SubStatusText != nil {
			detail += " " + *ev.SubStatusText
		}
	}
	resume := ""
	if ev.Resumable {
		resume = ", user can resume"
	}
	return fmt.Sprintf("%s  status  %-12s %-6s %-11s %s (%s%s)  [%s]", ts, ev.CaseID, deref(ev.Method), ev.CaseStatus, detail, ev.StatusType, resume, origin)
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// maskedPerson shows who a result is about, masked: first letters of the
// names and the birth year hidden.
func maskedPerson(ev *connector.CaseResultEvent) string {
	first, last, birth := ev.PersonFields()
	var parts []string
	if first != "" || last != "" {
		parts = append(parts, telemetry.MaskName(first)+" "+telemetry.MaskName(last))
	}
	if birth != "" {
		parts = append(parts, "born "+telemetry.MaskDate(birth))
	}
	return strings.Join(parts, ", ")
}
