// Opens a signed note with golang.org/x/mod/sumdb/note, an implementation of
// C2SP signed-note that Corridor did not write: the log's signature on a
// cosigned checkpoint must verify, and the witnesses' cosignature lines,
// whose keys it is not given, must be set aside rather than refused.
//
// Usage: note_open VKEY < NOTE. Prints the verified signers and the number of
// unverified signature lines; exits non-zero if the note does not open.
package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: note_open VKEY < NOTE")
		os.Exit(2)
	}
	verifier, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vkey:", err)
		os.Exit(1)
	}
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading:", err)
		os.Exit(1)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(1)
	}
	for _, s := range n.Sigs {
		fmt.Printf("verified %s %08x\n", s.Name, s.Hash)
	}
	fmt.Printf("unverified %d\n", len(n.UnverifiedSigs))
	fmt.Print(n.Text)
}
