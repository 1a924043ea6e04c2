// Command fixedload sends a fixed number of GETs over keep-alive
// connections and exits, for bench/instructions.sh: a count of
// instructions is read per request, so the load is a number of requests,
// not a duration (wrk's). Each response must be a 200 framed by
// Content-Length; anything else stops it with an error.
//
//	fixedload -addr 127.66.1.4:80 -n 20000 -c 32
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:80", "address to send the requests to")
	host := flag.String("host", "api.example.test", "Host of the requests")
	n := flag.Int64("n", 20000, "requests in all")
	conns := flag.Int("c", 32, "connections, each sending its next request when the last is answered")
	flag.Parse()
	req := []byte("GET / HTTP/1.1\r\nHost: " + *host + "\r\n\r\n") // wrk's request
	var left atomic.Int64
	left.Store(*n)
	var wg sync.WaitGroup
	errs := make(chan error, *conns)
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := send(*addr, req, &left); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		log.Fatal(err)
	}
	fmt.Println(*n, "requests answered 200")
}

// send sends req on one connection until left runs out.
func send(addr string, req []byte, left *atomic.Int64) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 16<<10)
	for left.Add(-1) >= 0 {
		if _, err := c.Write(req); err != nil {
			return err
		}
		status, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
			return fmt.Errorf("got %q, want a 200", bytes.TrimSpace(status))
		}
		length := -1
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return err
			}
			if len(line) <= 2 {
				break
			}
			if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
				length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
			}
		}
		if length < 0 {
			return errors.New("a response without Content-Length")
		}
		if _, err := br.Discard(length); err != nil {
			return err
		}
	}
	return nil
}
