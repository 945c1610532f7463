//go:build !unix

package persist

const syscallNoFollow = 0
