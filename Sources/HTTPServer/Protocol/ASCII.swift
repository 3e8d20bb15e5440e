// Byte classes from RFC 9110/9112. Everything the parsers accept is decided here,
// so the rules for "what is a token" or "what may appear in a field value" live in one place.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let comma: UInt8 = 0x2C
    static let slash: UInt8 = 0x2F
    static let dash: UInt8 = 0x2D

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static let tcharTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(c)] = true }
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(c)] = true }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(c)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { table[Int(c)] = true }
        return table
    }()

    @inline(__always) static func isTChar(_ c: UInt8) -> Bool { tcharTable[Int(c)] }

    /// field-vchar, SP, HTAB and obs-text: everything except CTLs (NUL, bare CR, LF...) and DEL.
    @inline(__always) static func isFieldValueByte(_ c: UInt8) -> Bool {
        c == htab || (c >= 0x20 && c != 0x7F)
    }

    /// Visible ASCII, what an origin-form or absolute-form request-target may contain.
    @inline(__always) static func isTargetByte(_ c: UInt8) -> Bool { c >= 0x21 && c <= 0x7E }

    @inline(__always) static func isWhitespace(_ c: UInt8) -> Bool { c == space || c == htab }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    @inline(__always) static func lowercased(_ c: UInt8) -> UInt8 {
        (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
    }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Case-insensitive comparison of two ASCII strings without allocating.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        var ia = a.utf8.makeIterator(), ib = b.utf8.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return true
            case let (x?, y?): if lowercased(x) != lowercased(y) { return false }
            default: return false
            }
        }
    }

    /// Trims SP and HTAB (OWS) from both ends.
    static func trimmed<C: BidirectionalCollection>(_ bytes: C) -> C.SubSequence where C.Element == UInt8 {
        var slice = bytes[...]
        while let f = slice.first, isWhitespace(f) { slice = slice.dropFirst() }
        while let l = slice.last, isWhitespace(l) { slice = slice.dropLast() }
        return slice
    }

    static func trimmed(_ s: Substring) -> Substring {
        var slice = s
        while let f = slice.first, f == " " || f == "\t" { slice = slice.dropFirst() }
        while let l = slice.last, l == " " || l == "\t" { slice = slice.dropLast() }
        return slice
    }
}
