package lifecycle

import (
	"image/color"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// qrCode draws text as a QR code of half blocks, each character two
// modules (top, bottom), within a quiet zone of two modules. A block is
// light and a space dark, so the code reads on the dark background most
// terminals have. boombuler/barcode encodes it: qrterminal's encoder
// (rsc.io/qr) built its tables in a package init that every call of this
// binary paid, 0.04 M instructions of a cached git get.
func qrCode(text string) (string, error) {
	code, err := qr.Encode(text, qr.L, qr.Auto)
	if err != nil {
		return "", err
	}
	const quiet = 2
	size := code.Bounds().Dx()
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= size || y >= size {
			return false
		}
		return color.GrayModel.Convert(code.At(x, y)).(color.Gray).Y < 128
	}
	var b strings.Builder
	for y := 0; y < size+2*quiet; y += 2 {
		for x := range size + 2*quiet {
			switch top, bottom := dark(x, y), dark(x, y+1); {
			case top && bottom:
				b.WriteByte(' ')
			case top:
				b.WriteString("▄")
			case bottom:
				b.WriteString("▀")
			default:
				b.WriteString("█")
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
