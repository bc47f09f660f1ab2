package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"time"
)

// certValidity is how long the certificate of `wsfsm serve --tls` is valid;
// a new one is made at every start.
const certValidity = 30 * 24 * time.Hour

// selfSigned makes a certificate for 127.0.0.1, ::1, localhost and host (an
// IP address or a name; "" or an unspecified address adds this machine's
// name), signed by its own key, and returns it with its PEM encoding. It is
// its own CA, so a client trusts it with that one file (--cacert, Python's
// cafile, Node's ca).
func selfSigned(host string, now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "wsfsm serve (self-signed, for tests)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	switch ip := net.ParseIP(host); {
	case ip != nil && !ip.IsUnspecified() && !ip.IsLoopback():
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	case ip == nil && host != "" && host != "localhost":
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	case host == "" || ip != nil && ip.IsUnspecified():
		if name, err := os.Hostname(); err == nil && name != "" && name != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, name)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
