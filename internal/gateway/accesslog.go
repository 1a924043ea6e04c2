package gateway

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/model"
)

// Access logs: a stage with accessLogSettings writes one line per request,
// its format with the $context variables filled in (the same variables
// templates see, contextVar, plus the access-log-only ones: status,
// responseLength, responseLatency). A variable without a value prints "-", as
// in CloudWatch.
//
// Where a line goes: the destination ARN names a place under the daemon's
// access log directory (Deps.AccessLogDir; "-" writes every stage's lines to
// standard output):
//
//	arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]        → DIR/NAME.log
//	arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME  → DIR/NAME.log
//
// with the slashes of a log group name ("/aws/apigateway/x") turned into
// underscores, so every file is directly in DIR. Writing never stalls a
// request: each file has a bounded queue drained by one goroutine through a
// buffered writer; a line that finds its queue full is dropped and counted
// (gatehouse_gateway_access_log_dropped_total).

// Bounds of access logging.
const (
	// "Access log template size" is 3 KB for HTTP APIs ("Quotas for
	// configuring and running an HTTP API"); the REST quotas page names
	// none, so the same bound applies.
	maxAccessLogFormatBytes = 3 << 10
	// accessLogQueue lines wait per destination before lines are dropped.
	accessLogQueue = 8192
	// accessLogBuffer bytes are gathered before a write to the file.
	accessLogBuffer = 64 << 10
)

var (
	logGroupARN = regexp.MustCompile(`^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([\.\-_/#A-Za-z0-9]{1,512})(:\*)?$`)
	firehoseARN = regexp.MustCompile(`^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/(amazon-apigateway-[a-zA-Z0-9_.-]{1,46})$`)
	requestIDIn = regexp.MustCompile(`\$(context\.requestId|\{context\.requestId\}|context\.extendedRequestId|\{context\.extendedRequestId\})\b`)
)

// accessLogFile is the file name a destination ARN maps to; ok is false for
// an ARN that names neither a log group nor an API Gateway delivery stream.
func accessLogFile(arn string) (string, bool) {
	if m := logGroupARN.FindStringSubmatch(arn); m != nil {
		return strings.ReplaceAll(strings.TrimLeft(m[1], "/"), "/", "_") + ".log", true
	}
	if m := firehoseARN.FindStringSubmatch(arn); m != nil {
		return m[1] + ".log", true
	}
	return "", false
}

// checkAccessLogSettings refuses settings AWS would not store. AWS's answers
// to a bad destination or format are not recorded from AWS (searched: docs,
// issues, moto, LocalStack; 2026-12); these texts are gatehouse's.
func checkAccessLogSettings(a *model.AccessLogSettings) error {
	if a == nil {
		return nil
	}
	if a.DestinationARN != "" {
		if _, ok := accessLogFile(a.DestinationARN); !ok {
			return badRequest("Invalid ARN specified in the request: " + model.Clip(a.DestinationARN) +
				". Must be a CloudWatch Logs log group ARN or a Kinesis Data Firehose delivery stream ARN whose name begins with amazon-apigateway-")
		}
	}
	if a.Format != "" {
		if len(a.Format) > maxAccessLogFormatBytes {
			return tooLong("accessLogSettings format", maxAccessLogFormatBytes, "bytes")
		}
		if strings.ContainsAny(a.Format, "\r\n") {
			return badRequest("Access log format must be a single line")
		}
		if !requestIDIn.MatchString(a.Format) {
			return badRequest("Access Log format must contain at least $context.requestId or $context.extendedRequestId")
		}
	}
	return nil
}

// patchAccessLogSettings applies an UpdateStage path under /accessLogSettings:
// replace /accessLogSettings/destinationArn or /accessLogSettings/format, or
// remove /accessLogSettings (no access log).
//
// The refusals are AWS's (LocalStack's AWS-recorded
// test_stage_access_log_settings_validation and
// test_stage_access_log_settings): only the whole settings can be removed,
// add or replace names a field, and a field cannot be set empty.
func patchAccessLogSettings(st *model.Stage, op PatchOperation) error {
	if op.Op == "remove" {
		if op.Path != "/accessLogSettings" {
			// AWS's text ends with a space.
			return badRequest("Cannot remove method setting " + model.Clip(strings.TrimPrefix(op.Path, "/")) +
				" because there is no method setting for this method ")
		}
		st.AccessLogSettings = nil
		return nil
	}
	if err := opIn(op, "replace", "add"); err != nil {
		return err
	}
	switch op.Path {
	case "/accessLogSettings/destinationArn", "/accessLogSettings/format":
	default:
		return badRequest("Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]")
	}
	v := op.Value
	if v == "" {
		return badRequest("Access Log value must not be empty")
	}
	a := model.AccessLogSettings{}
	if st.AccessLogSettings != nil {
		a = *st.AccessLogSettings
	}
	if op.Path == "/accessLogSettings/format" {
		a.Format = v
	} else {
		a.DestinationARN = v
	}
	if err := checkAccessLogSettings(&a); err != nil {
		return err
	}
	st.AccessLogSettings = &a
	if a == (model.AccessLogSettings{}) {
		st.AccessLogSettings = nil
	}
	return nil
}

// accessLog is a stage's access log, compiled with the stage.
type accessLog struct {
	file  string    // under the access log directory
	parts []logPart // the format
}

// logPart is literal text, or a variable when name is set.
type logPart struct {
	text string
	name string // "context.requestId"
}

// compileAccessLog compiles a stage's settings; nil when the stage has no
// complete access log configuration.
func compileAccessLog(a *model.AccessLogSettings) *accessLog {
	if a == nil || a.Format == "" || a.DestinationARN == "" {
		return nil
	}
	file, ok := accessLogFile(a.DestinationARN)
	if !ok {
		return nil
	}
	return &accessLog{file: file, parts: parseLogFormat(a.Format)}
}

// parseLogFormat splits a format into text and $context/$stageVariables
// references ($context.x, ${context.x}).
func parseLogFormat(f string) []logPart {
	var parts []logPart
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] == '$' {
			if name, n, _, ok := reference(f[i:]); ok && n > 0 &&
				(strings.HasPrefix(name, "context.") || strings.HasPrefix(name, "stageVariables.")) {
				if b.Len() > 0 {
					parts = append(parts, logPart{text: b.String()})
					b.Reset()
				}
				parts = append(parts, logPart{name: name})
				i += n
				continue
			}
		}
		b.WriteByte(f[i])
		i++
	}
	if b.Len() > 0 {
		parts = append(parts, logPart{text: b.String()})
	}
	return parts
}

// logAccess writes the request's access log line, if its stage has one. It
// runs once the request is answered.
func (s *Service) logAccess(x *exchange) {
	if x.res.stage == nil || x.res.stage.accessLog == nil {
		return
	}
	al := x.res.stage.accessLog
	rec, _ := x.w.(*statusRecorder)
	var b strings.Builder
	for _, p := range al.parts {
		if p.name == "" {
			b.WriteString(p.text)
			continue
		}
		v, ok := "", false
		switch p.name {
		case "context.status":
			if rec != nil {
				v, ok = strconv.Itoa(rec.status), true
			}
		case "context.responseLength":
			if rec != nil {
				v, ok = strconv.FormatInt(rec.written, 10), true
			}
		case "context.responseLatency":
			if ms, err := strconv.ParseInt(varOr(x, "context.requestTimeEpoch"), 10, 64); err == nil {
				v, ok = strconv.FormatInt(time.Now().UnixMilli()-ms, 10), true
			}
		default:
			if x.failed != nil {
				v, ok = x.failed.errorVar(p.name)
			}
			if !ok && x.varsReady {
				v, ok = x.contextVar(p.name)
			}
		}
		if !ok || v == "" {
			v = "-"
		}
		b.WriteString(strings.NewReplacer("\n", " ", "\r", " ").Replace(v))
	}
	b.WriteByte('\n')
	s.accessLogs.emit(&s.d, s.log, al.file, b.String())
}

func varOr(x *exchange, name string) string {
	if !x.varsReady {
		return ""
	}
	v, _ := x.contextVar(name)
	return v
}

// logSinks are the open access log files; the zero value is ready. Each
// file has a queue and one goroutine that writes it; close stops them.
type logSinks struct {
	once    sync.Once
	dir     string
	log     *slog.Logger
	dropped prometheus.Counter // nil: not exported

	mu     sync.Mutex
	sinks  map[string]*logSink
	closed bool
	wg     sync.WaitGroup
}

type logSink struct {
	lines chan string
}

func (l *logSinks) init(d *Deps, log *slog.Logger) {
	l.once.Do(func() {
		l.dir, l.log = d.AccessLogDir, log
		if d.Metrics != nil {
			l.dropped = prometheus.NewCounter(prometheus.CounterOpts{
				Namespace: "gatehouse", Subsystem: "gateway", Name: "access_log_dropped_total",
				Help: "Access log lines dropped because their destination's queue was full (a slow disk) or could not be written.",
			})
			if err := d.Metrics.Register(l.dropped); err != nil {
				l.dropped = nil
			}
		}
	})
}

// emit queues a line for its file; it never blocks.
func (l *logSinks) emit(d *Deps, log *slog.Logger, file, line string) {
	l.init(d, log)
	if l.dir == "" {
		return // no access log directory: access logs are off
	}
	key := file
	if l.dir == "-" {
		key = "-"
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	sk := l.sinks[key]
	if sk == nil {
		if l.sinks == nil {
			l.sinks = map[string]*logSink{}
		}
		sk = &logSink{lines: make(chan string, accessLogQueue)}
		l.sinks[key] = sk
		l.wg.Go(func() { l.drain(key, sk) })
	}
	select {
	case sk.lines <- line:
		l.mu.Unlock()
	default:
		l.mu.Unlock()
		l.drop(1)
	}
}

func (l *logSinks) drop(n int) {
	if l.dropped != nil {
		l.dropped.Add(float64(n))
	}
}

// drain writes a file's lines until close; a file that cannot be opened or
// written drops its lines (counted) and says so once.
func (l *logSinks) drain(key string, sk *logSink) {
	var out io.Writer = os.Stdout
	var f *os.File
	if key != "-" {
		path := filepath.Join(l.dir, key)
		var err error
		if err = os.MkdirAll(l.dir, 0o755); err == nil {
			f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		}
		if err != nil {
			l.log.Warn("access log not written", "file", path, "err", err)
			for range sk.lines {
				l.drop(1)
			}
			return
		}
		out = f
	}
	w := bufio.NewWriterSize(out, accessLogBuffer)
	failed := false
	flush := func() {
		if err := w.Flush(); err != nil && !failed {
			failed = true
			l.log.Warn("access log write failed", "file", key, "err", err)
		}
	}
	for line := range sk.lines {
		if _, err := w.WriteString(line); err != nil {
			l.drop(1)
		}
		if len(sk.lines) == 0 {
			flush()
		}
	}
	flush()
	if f != nil {
		if err := f.Close(); err != nil {
			l.log.Warn("access log close", "file", key, "err", err)
		}
	}
}

// close stops accepting lines, writes out what is queued and waits.
func (l *logSinks) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	for _, sk := range l.sinks {
		close(sk.lines)
	}
	l.mu.Unlock()
	l.wg.Wait()
}
