package avro

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"
	"time"

	hamba "github.com/hamba/avro/v2"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/schemas"
)

// Framing bytes.
const (
	// soeMagic0, soeMagic1 open an Avro single-object encoding, followed by
	// the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema.
	soeMagic0, soeMagic1 = 0xC3, 0x01
	soeHeaderLen         = 10

	// confluentMagic opens the Confluent wire format, followed by the
	// 4-byte big-endian schema id.
	confluentMagic     = 0x00
	confluentHeaderLen = 5
)

// Decoding limits: events are small (no binary data), so anything near
// these is corrupt input, and the limits keep it from allocating memory.
const (
	maxStringBytes = 1 << 20 // one string or bytes value
	maxArrayItems  = 1 << 16 // elements of one array
	maxMapEntries  = 1 << 16 // entries of one map (our schemas have none; a writer schema may)
)

// Errors a caller can test with errors.Is.
var (
	// ErrUnknownType: Encode or Decode got a value that is not one of the
	// connector's event types.
	ErrUnknownType = errors.New("avro: not an event type")
	// ErrUnknownSchema: single-object data with a fingerprint this build
	// does not know (written by a newer connector, or not by this one).
	ErrUnknownSchema = errors.New("avro: unknown writer schema")
	// ErrFraming: the data is neither single-object encoded nor in the
	// Confluent wire format, or is too short for its header.
	ErrFraming = errors.New("avro: unknown framing")
	// ErrNoRegistry: Confluent-framed data but no registry is configured.
	ErrNoRegistry = errors.New("avro: no schema registry configured")
	// ErrRecordMismatch: the data holds another record than the one asked
	// for (e.g. a CaseState decoded into a Notification).
	ErrRecordMismatch = errors.New("avro: record mismatch")

	// errDecoderPanic marks a panic of the Avro decoder turned into an
	// error; the fuzz test fails on it.
	errDecoderPanic = errors.New("decoder panic")
)

// Config configures a Codec.
type Config struct {
	// RegistryURL is the Confluent Schema Registry base URL. Empty (the
	// default) selects Avro single-object encoding and no registry.
	RegistryURL string
	// RegistryUsername and RegistryPassword enable HTTP basic auth towards
	// the registry when the username is set. Default: none.
	RegistryUsername string
	RegistryPassword string
	// AutoRegister makes Encode register a schema under its subject (POST
	// /subjects/{subject}/versions) on first use; when false it only looks
	// the schema up (POST /subjects/{subject}) and fails if it is not
	// registered, for registries where a pipeline registers schemas and the
	// connector's credentials may only read. The zero Config looks up only;
	// the connector's configuration (SCHEMA_REGISTRY_AUTO_REGISTER) defaults
	// it to true, so a first deployment needs no manual step.
	AutoRegister bool
	// HTTPClient talks to the registry. Default: a client with a 10 s
	// timeout. Every call is also bounded by the caller's context.
	HTTPClient *http.Client
}

// binding ties one Go event type to its schema.
type binding struct {
	name   string // record name, schemas.Name*
	schema hamba.Schema
	source string // JSON text for a registry
	fp     uint64 // CRC-64-AVRO of the canonical form
	header [soeHeaderLen]byte
}

// writer is a schema data was written with.
type writer struct {
	schema hamba.Schema
	fp     uint64
	name   string // full name of the record
}

func newWriter(s hamba.Schema, fp uint64) *writer {
	w := &writer{schema: s, fp: fp}
	if n, ok := s.(hamba.NamedSchema); ok {
		w.name = n.FullName()
	}
	return w
}

type subjectKey struct {
	subject string
	fp      uint64
}

type resolveKey struct {
	writerFP uint64
	reader   string
}

// Codec encodes the connector's events as Avro and frames them, with a
// schema registry (Confluent wire format) or without (Avro single-object
// encoding); it decodes both framings whatever it was configured with. It
// is safe for concurrent use; schema ids and resolved schemas are cached for
// the life of the Codec.
type Codec struct {
	api          hamba.API
	reg          *registry // nil without RegistryURL
	autoRegister bool

	types  map[reflect.Type]*binding // struct type -> binding
	byName map[string]*binding
	byFP   map[uint64]*writer // every schema this build knows (current and released)

	mu       sync.RWMutex
	ids      map[subjectKey]int          // registered/looked-up ids
	byID     map[int]*writer             // writer schemas by registry id
	resolved map[resolveKey]hamba.Schema // writer -> reader composite schemas

	readers sync.Pool // *hamba.Reader
	writers sync.Pool // *hamba.Writer, with no io.Writer: Encode uses its buffer
}

var _ connector.Codec = (*Codec)(nil)

// eventTypes maps the Go types of package connector to their records.
var eventTypes = map[reflect.Type]string{
	reflect.TypeFor[connector.CaseStatusChanged](): schemas.NameStatusChanged,
	reflect.TypeFor[connector.CaseResultEvent]():   schemas.NameCaseResult,
	reflect.TypeFor[connector.Notification]():      schemas.NameNotification,
	reflect.TypeFor[connector.CaseState]():         schemas.NameCaseState,
	reflect.TypeFor[connector.DeadLetter]():        schemas.NameDeadLetter,
}

// New returns a Codec. With cfg.RegistryURL empty it writes single-object
// encoding and needs no network; otherwise it writes the Confluent wire
// format and talks to the registry on first use of each subject (not here).
func New(cfg Config) (*Codec, error) {
	c := &Codec{
		api: hamba.Config{
			TagKey:            "avro",
			MaxByteSliceSize:  maxStringBytes,
			MaxSliceAllocSize: maxArrayItems,
			MaxMapAllocSize:   maxMapEntries,
		}.Freeze(),
		autoRegister: cfg.AutoRegister,
		types:        map[reflect.Type]*binding{},
		byName:       map[string]*binding{},
		byFP:         map[uint64]*writer{},
		ids:          map[subjectKey]int{},
		byID:         map[int]*writer{},
		resolved:     map[resolveKey]hamba.Schema{},
	}
	c.readers.New = func() any { return hamba.NewReader(nil, 0, hamba.WithReaderConfig(c.api)) }
	c.writers.New = func() any { return hamba.NewWriter(nil, 1024, hamba.WithWriterConfig(c.api)) }
	if cfg.RegistryURL != "" {
		reg, err := newRegistry(cfg)
		if err != nil {
			return nil, err
		}
		c.reg = reg
	}
	for typ, name := range eventTypes {
		s := schemas.All()[name]
		b := &binding{name: name, schema: s, source: schemas.Source(name), fp: Fingerprint(s)}
		b.header[0], b.header[1] = soeMagic0, soeMagic1
		binary.LittleEndian.PutUint64(b.header[2:], b.fp)
		c.types[typ] = b
		c.byName[name] = b
		for _, k := range schemas.Known(name) {
			fp := Fingerprint(k)
			if _, dup := c.byFP[fp]; !dup {
				c.byFP[fp] = newWriter(k, fp)
			}
		}
	}
	return c, nil
}

// Subject returns the registry subject of a topic's values
// (TopicNameStrategy).
func Subject(topic string) string { return topic + "-value" }

// SchemaFor returns the schema Encode uses for v, one of the connector's
// event types (value or pointer).
func (c *Codec) SchemaFor(v any) (hamba.Schema, error) {
	b, err := c.bindingOf(v)
	if err != nil {
		return nil, err
	}
	return b.schema, nil
}

func (c *Codec) bindingOf(v any) (*binding, error) {
	t := reflect.TypeOf(v)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	b := c.types[t]
	if b == nil {
		return nil, fmt.Errorf("%w: %T", ErrUnknownType, v)
	}
	return b, nil
}

// Encode implements connector.Codec: it chooses the schema from the Go type
// of v (*connector.CaseStatusChanged, *connector.CaseResultEvent,
// *connector.Notification, *connector.CaseState, or the values) and frames
// the Avro bytes for topic. With a registry the first Encode of each topic
// registers (or looks up) the schema under Subject(topic).
func (c *Codec) Encode(ctx context.Context, topic string, v any) ([]byte, error) {
	b, err := c.bindingOf(v)
	if err != nil {
		return nil, err
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, fmt.Errorf("avro: encode %s: nil %T", b.name, v)
	}
	var (
		confluent [confluentHeaderLen]byte
		header    []byte
	)
	if c.reg != nil {
		id, err := c.subjectID(ctx, Subject(topic), b)
		if err != nil {
			return nil, fmt.Errorf("avro: encode %s for topic %s: %w", b.name, topic, err)
		}
		confluent[0] = confluentMagic
		binary.BigEndian.PutUint32(confluent[1:], uint32(id)) //nolint:gosec // registry ids are non-negative int32
		header = confluent[:]
	} else {
		header = b.header[:]
	}
	// The header and the record go into one pooled buffer, copied out once:
	// hamba's Marshal would return its own copy, which would then be copied
	// again behind the header.
	w := c.writers.Get().(*hamba.Writer)
	defer c.putWriter(w)
	w.Reset(nil)
	w.Error = nil
	_, _ = w.Write(header) // appends to the buffer; cannot fail
	w.WriteVal(b.schema, v)
	if w.Error != nil {
		return nil, fmt.Errorf("avro: encode %s: %w", b.name, w.Error)
	}
	return bytes.Clone(w.Buffer()), nil
}

// maxPooledWriter bounds the buffer a pooled writer keeps: events are a few
// KiB, so a larger one came from an unusual record and is left to the GC.
const maxPooledWriter = 64 << 10

func (c *Codec) putWriter(w *hamba.Writer) {
	w.Error = nil
	if cap(w.Buffer()) > maxPooledWriter {
		return
	}
	w.Reset(nil)
	c.writers.Put(w)
}

// Decode implements connector.Codec. v must be a non-nil pointer to one of
// the event types. The framing is detected from the first byte:
//
//   - 0xC3 0x01 and an 8-byte little-endian CRC-64-AVRO fingerprint (Avro
//     single-object encoding): the fingerprint must be that of the schema of
//     v, or of a released version of it, which is then resolved into the
//     current one; otherwise the error wraps ErrUnknownSchema.
//   - 0x00 and a 4-byte big-endian schema id (Confluent): the writer schema
//     is fetched from the registry by id (cached) and resolved into the
//     schema of v, so fields added or removed by other versions are
//     handled per the Avro resolution rules.
func (c *Codec) Decode(ctx context.Context, data []byte, v any) error {
	b, err := c.bindingOf(v)
	if err != nil {
		return err
	}
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("avro: decode %s: need a non-nil pointer, got %T", b.name, v)
	}
	if len(data) == 0 {
		return fmt.Errorf("%w: empty value", ErrFraming)
	}
	var (
		w       *writer
		payload []byte
	)
	switch data[0] {
	case soeMagic0:
		if len(data) < soeHeaderLen || data[1] != soeMagic1 {
			return fmt.Errorf("%w: truncated single-object header", ErrFraming)
		}
		fp := binary.LittleEndian.Uint64(data[2:soeHeaderLen])
		payload = data[soeHeaderLen:]
		if fp == b.fp {
			return c.unmarshal(b.name, b.schema, payload, v)
		}
		// byFP is fixed after New: no lock.
		if w = c.byFP[fp]; w == nil {
			return fmt.Errorf("%w: fingerprint %016x, want %016x (%s)", ErrUnknownSchema, fp, b.fp, b.name)
		}
	case confluentMagic:
		if len(data) < confluentHeaderLen {
			return fmt.Errorf("%w: truncated Confluent header", ErrFraming)
		}
		id := int(binary.BigEndian.Uint32(data[1:confluentHeaderLen]))
		payload = data[confluentHeaderLen:]
		if w, err = c.writerByID(ctx, id); err != nil {
			return fmt.Errorf("avro: decode %s: %w", b.name, err)
		}
		if w.fp == b.fp {
			return c.unmarshal(b.name, b.schema, payload, v)
		}
	default:
		return fmt.Errorf("%w: first byte 0x%02x", ErrFraming, data[0])
	}
	if want := schemas.Namespace + "." + b.name; w.name != want {
		return fmt.Errorf("%w: data holds %s, not %s", ErrRecordMismatch, w.name, want)
	}
	rs, err := c.resolve(w, b)
	if err != nil {
		return err
	}
	return c.unmarshal(b.name, rs, payload, v)
}

func (c *Codec) unmarshal(name string, s hamba.Schema, payload []byte, v any) (err error) {
	// The decoder is fed bytes from outside the process; a bug in it must
	// fail one record, not the consumer.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("avro: decode %s: %w: %v", name, errDecoderPanic, r)
		}
	}()
	// hamba's Unmarshal treats running out of data as success, which would
	// turn a truncated record into a half-filled event; read with a Reader
	// and insist that the payload ends exactly where the record does.
	r := c.readers.Get().(*hamba.Reader)
	defer func() {
		r.Reset(nil) // do not keep the caller's bytes alive in the pool
		r.Error = nil
		c.readers.Put(r)
	}()
	r.Error = nil
	r.Reset(payload)
	r.ReadVal(s, v)
	if r.Error != nil {
		if errors.Is(r.Error, io.EOF) {
			return fmt.Errorf("avro: decode %s: %w", name, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("avro: decode %s: %w", name, r.Error)
	}
	if r.Peek(); r.Error == nil {
		return fmt.Errorf("avro: decode %s: trailing bytes after the record", name)
	}
	return nil
}

// resolve returns the schema that reads data written with w into the Go
// type of b (Avro schema resolution), cached per writer.
func (c *Codec) resolve(w *writer, b *binding) (hamba.Schema, error) {
	k := resolveKey{writerFP: w.fp, reader: b.name}
	c.mu.RLock()
	rs := c.resolved[k]
	c.mu.RUnlock()
	if rs != nil {
		return rs, nil
	}
	rs, err := hamba.NewSchemaCompatibility().Resolve(b.schema, w.schema)
	if err != nil {
		return nil, fmt.Errorf("avro: writer schema %016x cannot be read as %s: %w", w.fp, b.name, err)
	}
	c.mu.Lock()
	c.resolved[k] = rs
	c.mu.Unlock()
	return rs, nil
}

// writerByID returns the writer schema of a registry id, from the cache or
// the registry.
func (c *Codec) writerByID(ctx context.Context, id int) (*writer, error) {
	c.mu.RLock()
	w := c.byID[id]
	c.mu.RUnlock()
	if w != nil {
		return w, nil
	}
	if c.reg == nil {
		return nil, fmt.Errorf("%w: data names schema id %d", ErrNoRegistry, id)
	}
	src, err := c.reg.schemaByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s, err := schemas.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("schema id %d from the registry does not parse: %w", id, err)
	}
	w = newWriter(s, Fingerprint(s))
	c.mu.Lock()
	c.byID[id] = w
	c.mu.Unlock()
	return w, nil
}

// subjectID returns the registry id of b under subject, registering or
// looking it up on first use.
func (c *Codec) subjectID(ctx context.Context, subject string, b *binding) (int, error) {
	k := subjectKey{subject: subject, fp: b.fp}
	c.mu.RLock()
	id, ok := c.ids[k]
	c.mu.RUnlock()
	if ok {
		return id, nil
	}
	return c.RegisterSubject(ctx, subject, b.schema)
}

// RegisterSubject registers schema under subject (or, without
// AutoRegister, looks it up) and returns its registry id. The id is
// cached; Encode calls it on first use of a topic, the `schemas register`
// command calls it up front. The schema text sent is the .avsc source for
// the connector's own schemas (docs included) and hamba's JSON rendering
// otherwise.
func (c *Codec) RegisterSubject(ctx context.Context, subject string, schema hamba.Schema) (int, error) {
	if c.reg == nil {
		return 0, ErrNoRegistry
	}
	fp := Fingerprint(schema)
	src := ""
	for _, b := range c.byName {
		if b.fp == fp {
			src = b.source
		}
	}
	if src == "" {
		j, err := json.Marshal(schema)
		if err != nil {
			return 0, fmt.Errorf("render schema for subject %s: %w", subject, err)
		}
		src = string(j)
	}
	var (
		id  int
		err error
	)
	if c.autoRegister {
		id, err = c.reg.register(ctx, subject, src)
	} else {
		id, err = c.reg.lookup(ctx, subject, src)
	}
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.ids[subjectKey{subject: subject, fp: fp}] = id
	if c.byID[id] == nil {
		c.byID[id] = newWriter(schema, fp)
	}
	c.mu.Unlock()
	return id, nil
}

// RegisterTopic registers the schema of v's event type under
// Subject(topic); v may be a typed nil pointer such as
// (*connector.CaseResultEvent)(nil).
func (c *Codec) RegisterTopic(ctx context.Context, topic string, v any) (int, error) {
	b, err := c.bindingOf(v)
	if err != nil {
		return 0, err
	}
	return c.RegisterSubject(ctx, Subject(topic), b.schema)
}

// defaultHTTPTimeout bounds a registry call when the caller brings no
// client of its own.
const defaultHTTPTimeout = 10 * time.Second
