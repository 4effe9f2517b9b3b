// main.go: a test program for flamekit's pprof reader (t/t0071-pprof.sh). It burns CPU
// in three named functions with fixed amounts of work (1 : 2 : 3) and writes a CPU
// profile with runtime/pprof, then allocates in two named functions (1 : 4 bytes) with
// every allocation sampled and writes the allocs (heap) profile.
//
//	pprofburn CPU.pprof HEAP.pprof [UNITS]
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
)

var sink uint64
var keep [][]byte

//go:noinline
func spin(n int) uint64 {
	x := uint64(n)
	for i := 0; i < n*1000000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:noinline
func burnAlpha(units int) { sink += spin(units) }

//go:noinline
func burnBeta(units int) { sink += spin(2 * units) }

//go:noinline
func burnGamma(units int) { sink += spin(3 * units) }

//go:noinline
func allocSmall() {
	for i := 0; i < 1000; i++ {
		keep = append(keep, make([]byte, 1024))
	}
}

//go:noinline
func allocLarge() {
	for i := 0; i < 1000; i++ {
		keep = append(keep, make([]byte, 4096))
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: pprofburn CPU.pprof HEAP.pprof [UNITS]")
		os.Exit(2)
	}
	units := 200
	if len(os.Args) > 3 {
		units, _ = strconv.Atoi(os.Args[3])
	}
	runtime.MemProfileRate = 1
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	for i := 0; i < 10; i++ {
		burnAlpha(units / 10)
		burnBeta(units / 10)
		burnGamma(units / 10)
	}
	pprof.StopCPUProfile()
	f.Close()

	allocSmall()
	allocLarge()
	runtime.GC()
	h, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(h, 0); err != nil {
		panic(err)
	}
	h.Close()
	fmt.Println(sink != 0)
}
