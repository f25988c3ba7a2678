/// Standard base64 (RFC 4648 §4, with padding), for descriptor `data`.
/// Foundation-free; decoding is strict like Go's `encoding/base64.StdEncoding`.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, char) in alphabet.enumerated() {
            table[Int(char)] = UInt8(value)
        }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = bytes[index]
            let b1 = remaining > 1 ? bytes[index + 1] : 0
            let b2 = remaining > 2 ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(remaining > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(remaining > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded standard base64; `nil` if malformed (bad length,
    /// characters, padding, or non-zero trailing bits).
    static func decode(_ string: String) -> [UInt8]? {
        let input = Array(string.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let c2 = input[index + 2]
            let c3 = input[index + 3]
            let padding = c3 == UInt8(ascii: "=") ? (c2 == UInt8(ascii: "=") ? 2 : 1) : 0
            guard padding == 0 || isLast else { return nil }
            guard let v0 = value(input[index]), let v1 = value(input[index + 1]) else { return nil }
            out.append(v0 << 2 | v1 >> 4)
            if padding == 2 {
                guard v1 & 0x0F == 0 else { return nil }
                break
            }
            guard let v2 = value(c2) else { return nil }
            out.append((v1 & 0x0F) << 4 | v2 >> 2)
            if padding == 1 {
                guard v2 & 0x03 == 0 else { return nil }
                break
            }
            guard let v3 = value(c3) else { return nil }
            out.append((v2 & 0x03) << 6 | v3)
            index += 4
        }
        return out
    }

    private static func value(_ char: UInt8) -> UInt8? {
        let value = reverse[Int(char)]
        return value == 0xFF ? nil : value
    }
}
