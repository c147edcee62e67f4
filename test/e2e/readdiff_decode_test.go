package e2e

// Decoders of the binary answers of the read-API differential: a CBOR or
// SMILE answer is turned into JSON, so that its numbers (which neither
// format writes as text) are searched for canaries and its content is
// compared with the mirror's like any other answer.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
)

var errBinaryAnswer = errors.New("malformed binary answer")

// cborToJSON decodes one CBOR data item (the subset Jackson writes).
func cborToJSON(b []byte) (string, error) {
	d := &cborDec{b: b}
	v, err := d.item(0)
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(v)
	return string(out), err
}

type cborDec struct {
	b []byte
	i int
}

func (d *cborDec) byte() (byte, error) {
	if d.i >= len(d.b) {
		return 0, errBinaryAnswer
	}
	d.i++
	return d.b[d.i-1], nil
}

func (d *cborDec) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.b)-d.i) {
		return nil, errBinaryAnswer
	}
	out := d.b[d.i : d.i+int(n)]
	d.i += int(n)
	return out, nil
}

// arg reads the argument of an initial byte's additional information
// (indefinite: ok false).
func (d *cborDec) arg(info byte) (n uint64, ok bool, err error) {
	switch {
	case info < 24:
		return uint64(info), true, nil
	case info <= 27:
		bs, err := d.take(1 << (info - 24))
		if err != nil {
			return 0, false, err
		}
		for _, c := range bs {
			n = n<<8 | uint64(c)
		}
		return n, true, nil
	case info == 31:
		return 0, false, nil
	}
	return 0, false, errBinaryAnswer
}

func (d *cborDec) item(depth int) (any, error) {
	if depth > 200 {
		return nil, errBinaryAnswer
	}
	ib, err := d.byte()
	if err != nil {
		return nil, err
	}
	major, info := ib>>5, ib&31
	if major == 7 {
		switch info {
		case 20:
			return false, nil
		case 21:
			return true, nil
		case 22, 23:
			return nil, nil
		case 25:
			bs, err := d.take(2)
			if err != nil {
				return nil, err
			}
			return halfFloat(binary.BigEndian.Uint16(bs)), nil
		case 26:
			bs, err := d.take(4)
			if err != nil {
				return nil, err
			}
			return float64(math.Float32frombits(binary.BigEndian.Uint32(bs))), nil
		case 27:
			bs, err := d.take(8)
			if err != nil {
				return nil, err
			}
			return math.Float64frombits(binary.BigEndian.Uint64(bs)), nil
		}
		return nil, fmt.Errorf("%w: simple value %d", errBinaryAnswer, info)
	}
	n, definite, err := d.arg(info)
	if err != nil {
		return nil, err
	}
	switch major {
	case 0:
		return json.Number(fmt.Sprint(n)), nil
	case 1:
		return json.Number(new(big.Int).Sub(big.NewInt(-1), new(big.Int).SetUint64(n)).String()), nil
	case 2, 3:
		var s []byte
		if definite {
			if s, err = d.take(n); err != nil {
				return nil, err
			}
		} else {
			for d.i < len(d.b) && d.b[d.i] != 0xff {
				chunk, err := d.item(depth + 1)
				if err != nil {
					return nil, err
				}
				cs, _ := chunk.(string)
				s = append(s, cs...)
			}
			d.i++
		}
		return string(s), nil
	case 4:
		out := []any{}
		for k := uint64(0); !definite || k < n; k++ {
			if !definite && d.i < len(d.b) && d.b[d.i] == 0xff {
				d.i++
				break
			}
			e, err := d.item(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case 5:
		out := map[string]any{}
		for k := uint64(0); !definite || k < n; k++ {
			if !definite && d.i < len(d.b) && d.b[d.i] == 0xff {
				d.i++
				break
			}
			key, err := d.item(depth + 1)
			if err != nil {
				return nil, err
			}
			val, err := d.item(depth + 1)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(key)] = val
		}
		return out, nil
	case 6: // a tag: its content
		return d.item(depth + 1)
	}
	return nil, errBinaryAnswer
}

func halfFloat(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	var v float64
	switch exp {
	case 0:
		v = math.Ldexp(mant, -24)
	case 31:
		v = math.Inf(1)
	default:
		v = math.Ldexp(mant+1024, exp-25)
	}
	if h&0x8000 != 0 {
		return -v
	}
	return v
}

// smileToJSON decodes a SMILE document (Jackson's format: header ":)\n",
// shared key names and, if the header says so, shared string values).
func smileToJSON(b []byte) (string, error) {
	if len(b) < 4 || b[0] != ':' || b[1] != ')' || b[2] != '\n' {
		return "", errBinaryAnswer
	}
	d := &smileDec{b: b, i: 4}
	v, err := d.value(0)
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(v)
	return string(out), err
}

type smileDec struct {
	b          []byte
	i          int
	keys, vals []string
}

func (d *smileDec) next() (byte, error) {
	if d.i >= len(d.b) {
		return 0, errBinaryAnswer
	}
	d.i++
	return d.b[d.i-1], nil
}

func (d *smileDec) take(n int) (string, error) {
	if n < 0 || n > len(d.b)-d.i {
		return "", errBinaryAnswer
	}
	s := string(d.b[d.i : d.i+n])
	d.i += n
	return s, nil
}

// vint reads an unsigned variable-length integer: 7 bits a byte, the last
// byte marked by its high bit and holding 6 bits.
func (d *smileDec) vint() (uint64, error) {
	var n uint64
	for k := 0; k < 11; k++ {
		c, err := d.next()
		if err != nil {
			return 0, err
		}
		if c&0x80 != 0 {
			return n<<6 | uint64(c&0x3f), nil
		}
		n = n<<7 | uint64(c)
	}
	return 0, errBinaryAnswer
}

// until reads bytes up to the end marker 0xFC.
func (d *smileDec) until() (string, error) {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] != 0xfc {
		d.i++
	}
	if d.i >= len(d.b) {
		return "", errBinaryAnswer
	}
	d.i++
	return string(d.b[start : d.i-1]), nil
}

// bits7 reads n bytes of 7 bits each into an integer.
func (d *smileDec) bits7(n int) (uint64, error) {
	var v uint64
	for k := 0; k < n; k++ {
		c, err := d.next()
		if err != nil {
			return 0, err
		}
		v = v<<7 | uint64(c&0x7f)
	}
	return v, nil
}

func zigzag(n uint64) int64 { return int64(n>>1) ^ -int64(n&1) }

func (d *smileDec) str(s string, shared bool) string {
	if shared && len(s) <= 64 {
		if len(d.vals) >= 1024 {
			d.vals = d.vals[:0]
		}
		d.vals = append(d.vals, s)
	}
	return s
}

func (d *smileDec) value(depth int) (any, error) {
	if depth > 200 {
		return nil, errBinaryAnswer
	}
	c, err := d.next()
	if err != nil {
		return nil, err
	}
	switch {
	case c >= 0x01 && c <= 0x1f:
		if int(c-1) >= len(d.vals) {
			return nil, errBinaryAnswer
		}
		return d.vals[c-1], nil
	case c == 0x20:
		return "", nil
	case c == 0x21:
		return nil, nil
	case c == 0x22:
		return false, nil
	case c == 0x23:
		return true, nil
	case c == 0x24, c == 0x25:
		n, err := d.vint()
		if err != nil {
			return nil, err
		}
		return json.Number(fmt.Sprint(zigzag(n))), nil
	case c == 0x26: // BigInteger: length, then 7-bit bytes
		n, err := d.vint()
		if err != nil {
			return nil, err
		}
		raw, err := d.raw7(int(n))
		if err != nil {
			return nil, err
		}
		return json.Number(new(big.Int).SetBytes(raw).String()), nil
	case c == 0x28:
		v, err := d.bits7(5)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(uint32(v))), nil
	case c == 0x29:
		v, err := d.bits7(10)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(v), nil
	case c == 0x2a: // BigDecimal: scale, length, 7-bit bytes
		scale, err := d.vint()
		if err != nil {
			return nil, err
		}
		n, err := d.vint()
		if err != nil {
			return nil, err
		}
		raw, err := d.raw7(int(n))
		if err != nil {
			return nil, err
		}
		f, _ := new(big.Float).SetInt(new(big.Int).SetBytes(raw)).Float64()
		return f / math.Pow10(int(zigzag(scale))), nil
	case c >= 0x40 && c <= 0x5f, c >= 0x60 && c <= 0x7f:
		s, err := d.take(int(c&0x1f) + 1 + map[bool]int{true: 32}[c >= 0x60])
		return d.str(s, true), err
	case c >= 0x80 && c <= 0x9f, c >= 0xa0 && c <= 0xbf:
		s, err := d.take(int(c&0x1f) + 2 + map[bool]int{true: 32}[c >= 0xa0])
		return d.str(s, true), err
	case c >= 0xc0 && c <= 0xdf:
		return json.Number(fmt.Sprint(zigzag(uint64(c & 0x1f)))), nil
	case c == 0xe0, c == 0xe4:
		return d.until()
	case c == 0xe8: // 7-bit binary
		n, err := d.vint()
		if err != nil {
			return nil, err
		}
		raw, err := d.raw7(int(n))
		return string(raw), err
	case c >= 0xec && c <= 0xef: // a long shared value reference
		c2, err := d.next()
		if err != nil {
			return nil, err
		}
		ix := int(c&3)<<8 | int(c2)
		if ix >= len(d.vals) {
			return nil, errBinaryAnswer
		}
		return d.vals[ix], nil
	case c == 0xf8:
		out := []any{}
		for d.i < len(d.b) && d.b[d.i] != 0xf9 {
			e, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		d.i++
		return out, nil
	case c == 0xfa:
		out := map[string]any{}
		for d.i < len(d.b) && d.b[d.i] != 0xfb {
			k, err := d.key()
			if err != nil {
				return nil, err
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		d.i++
		return out, nil
	}
	return nil, fmt.Errorf("%w: token 0x%02x at %d", errBinaryAnswer, c, d.i-1)
}

// raw7 reads n bytes written 7 bits at a time (binary and big numbers).
func (d *smileDec) raw7(n int) ([]byte, error) {
	if n < 0 || n > len(d.b) {
		return nil, errBinaryAnswer
	}
	var out []byte
	var acc uint64
	bits := 0
	for len(out) < n {
		c, err := d.next()
		if err != nil {
			return nil, err
		}
		acc = acc<<7 | uint64(c&0x7f)
		bits += 7
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>uint(bits)))
		}
	}
	return out, nil
}

func (d *smileDec) key() (string, error) {
	c, err := d.next()
	if err != nil {
		return "", err
	}
	addKey := func(s string) string {
		if len(s) <= 64 {
			if len(d.keys) >= 1024 {
				d.keys = d.keys[:0]
			}
			d.keys = append(d.keys, s)
		}
		return s
	}
	switch {
	case c == 0x20:
		return "", nil
	case c >= 0x30 && c <= 0x33:
		c2, err := d.next()
		if err != nil {
			return "", err
		}
		ix := int(c&3)<<8 | int(c2)
		if ix >= len(d.keys) {
			return "", errBinaryAnswer
		}
		return d.keys[ix], nil
	case c == 0x34:
		s, err := d.until()
		return addKey(s), err
	case c >= 0x40 && c <= 0x7f:
		if int(c-0x40) >= len(d.keys) {
			return "", errBinaryAnswer
		}
		return d.keys[c-0x40], nil
	case c >= 0x80 && c <= 0xbf:
		s, err := d.take(int(c-0x80) + 1)
		return addKey(s), err
	case c >= 0xc0 && c <= 0xf7:
		s, err := d.take(int(c-0xc0) + 2)
		return addKey(s), err
	}
	return "", fmt.Errorf("%w: key token 0x%02x at %d", errBinaryAnswer, c, d.i-1)
}
