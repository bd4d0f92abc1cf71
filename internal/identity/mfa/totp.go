package mfa

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"
)

// TOTP parameters: what every authenticator app understands (RFC 6238
// section 4 with its defaults: HMAC-SHA-1, 30-second steps, 6 digits).
const (
	Period = 30
	Digits = 6
)

var validateOpts = totp.ValidateOpts{Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a new shared secret (160 bits, RFC 4226 section 4's
// recommendation) for account (the label the app shows) of issuer, and
// its otpauth:// URI for the QR code.
func NewTOTP(issuer, account string) (secret, uri string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: Period, SecretSize: 20,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", fmt.Errorf("make an authenticator app secret: %w", err)
	}
	return k.Secret(), k.URL(), nil
}

// URI is the otpauth:// URI of an existing secret, as NewTOTP makes it
// (Key Uri Format: label "issuer:account", issuer and secret parameters).
func URI(issuer, account, secret string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("period", strconv.Itoa(Period))
	q.Set("digits", strconv.Itoa(Digits))
	q.Set("algorithm", "SHA1")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: q.Encode()}
	return u.String()
}

// CheckTOTP reports whether code is the secret's code at now or one step
// before or after (clock skew: RFC 6238 section 5.2 allows a step either
// way), and which time step it is, so that the caller accepts each step
// once. Codes are compared in constant time.
func CheckTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != Digits {
		return 0, false
	}
	current := now.Unix() / Period
	for _, s := range []int64{current - 1, current, current + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*Period, 0), validateOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// QRCode renders text (an otpauth:// URI) as a PNG image, size pixels wide.
func QRCode(text string, size int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	q.DisableBorder = false
	var buf bytes.Buffer
	if err := png.Encode(&buf, q.Image(size)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// GroupSecret shows a base32 secret in groups of four, for typing it in.
func GroupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
