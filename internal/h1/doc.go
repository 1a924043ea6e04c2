// Package h1 serves the common case of HTTP/1.1 on a connection without
// net/http's server, and hands the connection to net/http for the rest.
//
// net/http's server costs a hop more than the hop's own work: a goroutine
// started and stopped per request (its background read), a context and a
// cancel per request, its chunking writer and header canonicalization. h1
// reads a request head from its buffer and, when the head is one it can
// take whole with certainty (ParseHead: HTTP/1.1, origin-form target, one
// valid Host, no body, no Transfer-Encoding, Expect, Upgrade or connection
// options, the whole head within the buffer), builds the *http.Request
// net/http would have built and calls the same http.Handler on the
// connection's goroutine. At the first head it does not take, Serve gives
// the connection, with every byte it read and did not serve, to a fallback
// (net/http's server), which then serves it to its end: its answers, 400s
// and limits included, are net/http's. A fuzz test holds the parser to
// that: whatever ParseHead takes, net/http reads the same request from the
// same bytes. A header line is read in one pass, and a line that repeats,
// byte for byte, the connection's previous head's line at its place (a
// client's Host, a target's Server) is that field again, not read anew.
//
// Before it builds a request, Serve offers the head to Conn.Direct, when set,
// if the target is one net/http would send on unchanged (Exchange): a proxy
// may then pass the request on as bytes and write the response itself, or
// answer through the usual ResponseWriter, or decline (Handler serves it).
//
// A client that goes away while a handler runs cancels the request's
// context, as with net/http; h1 starts watching for it once a request has
// run for watchDelay to twice that, instead of on every request (watch.go).
// Unlike net/http's, the context does not end when the handler returns:
// every request on a connection shares the connection's, so a handler must
// release what it registers on it (the cancel of a context.WithCancel, the
// stop of an AfterFunc) when its request ends. What it leaves stays, with
// all it holds, until the client closes the connection.
//
// The response side is net/http's as a client sees it: the status line, the
// handler's headers, Date, Content-Length when the handler's whole body fits
// the buffer (else chunked), Content-Type sniffed when the handler set none,
// no body for HEAD, 204 and 304, Connection: close when either side asks,
// trailers, and an aborted handler (http.ErrAbortHandler) cutting the
// connection.
//
// The client side of the same common case, for a proxy's hot path:
// WriteRequest writes a request without a body as http.Request's Write does,
// ReadResponse reads a response with a Content-Length as http.ReadResponse
// does and gives it every other response. Fuzz tests hold both to net/http,
// byte for byte.
package h1
