// Command hello is the smallest static Go binary: what Go itself costs to
// start, beside git's helper written in C.
package main

import "os"

func main() { os.Stdout.Write([]byte("x\n")) }
