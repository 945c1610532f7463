// Command floor links the packages oauth2cred links and does nothing: its
// start-up time is the floor under any Go binary of this shape.
package main

import (
	"os"

	_ "github.com/BurntSushi/toml"
	_ "github.com/boombuler/barcode/qr"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/go-jose/go-jose/v4/jwt"
	_ "github.com/goccy/go-yaml/parser"
	_ "github.com/gofrs/flock"
	_ "github.com/mailru/easyjson"
	_ "github.com/urfave/cli/v2"
	_ "github.com/zalando/go-keyring"
	_ "golang.org/x/oauth2"
	_ "net/http"
)

func main() { os.Stdout.Write([]byte("x\n")) }
