import BerthOCI

extension ImageReference {
    /// Parses and normalises an image reference.
    ///
    /// - Throws: `RegistryError(.invalidArgument)` quoting the input and saying what is wrong.
    public init(parsing input: String) throws {
        guard !input.isEmpty else {
            throw RegistryError.invalid("invalid reference \"\": empty reference")
        }
        var remainder = Substring(input)
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            let digestText = String(remainder[remainder.index(after: at)...])
            do {
                digest = try Digest(parsing: digestText)
            } catch let error as OCIError {
                throw RegistryError.invalid("invalid reference \"\(input)\": \(error.message)")
            }
            remainder = remainder[..<at]
        }
        var tag: String?
        let lastSlash = remainder.lastIndex(of: "/")
        if let colon = remainder.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let tagText = String(remainder[remainder.index(after: colon)...])
            try Self.validateTag(tagText, input: input)
            tag = tagText
            remainder = remainder[..<colon]
        }
        guard !remainder.isEmpty else {
            throw RegistryError.invalid("invalid reference \"\(input)\": missing repository name")
        }
        var (domain, path) = Self.splitDomain(String(remainder))
        if domain == "index.docker.io" {
            domain = Self.defaultDomain
        }
        if domain == Self.defaultDomain && !path.contains("/") {
            path = "library/" + path
        }
        try Self.validateDomain(domain, input: input)
        if path.contains(where: { $0.isUppercase }) {
            throw RegistryError.invalid(
                "invalid reference \"\(input)\": repository name \"\(path)\" must be lowercase")
        }
        try Self.validatePath(path, input: input)
        if domain == Self.defaultDomain, path.hasPrefix("library/"),
            Self.isHexIdentifier(path.dropFirst("library/".count))
        {
            throw RegistryError.invalid(
                "invalid reference \"\(input)\": cannot use a 64-character hexadecimal string as a repository name")
        }
        let nameLength = domain.utf8.count + 1 + path.utf8.count
        guard nameLength <= Self.maxNameLength else {
            throw RegistryError.invalid(
                "invalid reference \"\(input)\": repository name must not be more than "
                    + "\(Self.maxNameLength) characters (got \(nameLength))")
        }
        if tag == nil && digest == nil {
            tag = Self.defaultTag
        }
        self.init(trustedDomain: domain, path: path, tag: tag, digest: digest)
    }

    /// Splits `name` into domain and path as Docker does: the first component
    /// is a domain if it contains `.` or `:`, is `localhost`, or has uppercase letters.
    static func splitDomain(_ name: String) -> (String, String) {
        guard let slash = name.firstIndex(of: "/") else {
            return (defaultDomain, name)
        }
        let first = name[..<slash]
        let isDomain =
            first.contains(".") || first.contains(":") || first == "localhost"
            || first.contains(where: { $0.isUppercase })
        guard isDomain else {
            return (defaultDomain, name)
        }
        return (String(first), String(name[name.index(after: slash)...]))
    }

    // MARK: Grammar checks

    static func validateTag(_ tag: String, input: String) throws {
        let bytes = Array(tag.utf8)
        func isWord(_ byte: UInt8) -> Bool {
            isAlphanumericAnyCase(byte) || byte == UInt8(ascii: "_")
        }
        guard let first = bytes.first, isWord(first), bytes.count <= 128,
            bytes.allSatisfy({ isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else {
            throw RegistryError.invalid(
                "invalid reference \"\(input)\": tag \"\(tag)\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
        }
    }

    static func validatePath(_ path: String, input: String) throws {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        for component in components where !isPathComponent(Array(component.utf8)) {
            throw RegistryError.invalid(
                "invalid reference \"\(input)\": path component \"\(component)\" must be lowercase letters "
                    + "and digits separated by '.', '_', '__' or dashes")
        }
    }

    static func validateDomain(_ domain: String, input: String) throws {
        func invalid(_ why: String) -> RegistryError {
            RegistryError.invalid("invalid reference \"\(input)\": domain \"\(domain)\" \(why)")
        }
        var host = Substring(domain)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid("has an unterminated IPv6 address") }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw invalid("has an invalid IPv6 address")
            }
            host = host[host.index(after: close)...]
            if !host.isEmpty {
                guard host.hasPrefix(":") else { throw invalid("has junk after the IPv6 address") }
                try validatePort(host.dropFirst(), invalid)
            }
            return
        }
        if let colon = host.firstIndex(of: ":") {
            try validatePort(host[host.index(after: colon)...], invalid)
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw invalid("has an empty host name") }
        for label in host.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last, isAlphanumericAnyCase(first),
                isAlphanumericAnyCase(last),
                bytes.allSatisfy({ isAlphanumericAnyCase($0) || $0 == UInt8(ascii: "-") })
            else {
                throw invalid("has an invalid label \"\(label)\"")
            }
        }
    }

    private static func validatePort(_ port: Substring, _ invalid: (String) -> RegistryError) throws {
        guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(port),
            value <= 65535
        else {
            throw invalid("has an invalid port \"\(port)\"")
        }
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
    private static func isPathComponent(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last)
        else { return false }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isAlphanumeric(byte) {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count && !isAlphanumeric(bytes[end]) { end += 1 }
            let separator = bytes[index..<end]
            let valid =
                separator.elementsEqual([UInt8(ascii: ".")]) || separator.elementsEqual([UInt8(ascii: "_")])
                || separator.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
                || separator.allSatisfy { $0 == UInt8(ascii: "-") }
            guard valid else { return false }
            index = end
        }
        return true
    }

    private static func isHexIdentifier(_ text: Substring) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlphanumericAnyCase(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
