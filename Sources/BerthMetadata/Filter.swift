internal import BerthErrors
/// A containerd filter: the `filters` strings of List requests.
///
/// Grammar (containerd `filters/parser.go`):
///
///     selectors := selector ("," selector)*
///     selector  := fieldpath (operator value)
///     fieldpath := field ('.' field)*
///     field     := quoted | [A-Za-z0-9_]+
///     operator  := "==" | "!=" | "~="
///     value     := quoted | [^\s,]+
///     quoted    := <go string syntax>; `/…/` and `|…|` also allowed after ~=
///
/// Commas AND selectors; several strings OR; no strings or an empty string
/// match everything. A selector without an operator tests for presence;
/// `!=` is true for an absent field; `~=` is an unanchored regular expression
/// search.
///
///     let filter = try Filter(parsing: ["labels.\"a.b\"==x,name~=^docker", "name==busybox"])
///     filter.matches(image)
public struct Filter {
    enum Operator: Hashable {
        case present
        case equal
        case notEqual
        case matches
    }

    struct Selector {
        var fieldPath: [String]
        var op: Operator
        var value: String
        var regex: Regex<AnyRegexOutput>?

        func matches(_ field: ([String]) -> String?) -> Bool {
            let found = field(fieldPath)
            switch op {
            case .present: return found != nil
            case .equal: return found == value
            case .notEqual: return (found ?? "") != value
            case .matches:
                guard let regex else { return false }
                return (found ?? "").contains(regex)
            }
        }
    }

    /// OR of ANDs. Empty means "match everything".
    var alternatives: [[Selector]]

    /// A filter that matches everything.
    public static var always: Filter { Filter(alternatives: []) }

    private init(alternatives: [[Selector]]) {
        self.alternatives = alternatives
    }

    /// Parses the repeated `filters` field: the strings are ORed.
    ///
    /// - Throws: `MetadataError(.invalidArgument)` naming the position of the problem.
    public init(parsing strings: [String]) throws {
        var alternatives: [[Selector]] = []
        for string in strings {
            if string.isEmpty {
                // An empty string matches everything, so the whole OR does.
                self.init(alternatives: [])
                return
            }
            var parser = FilterParser(string)
            alternatives.append(try parser.parse())
        }
        self.init(alternatives: alternatives)
    }

    /// Parses one filter string.
    public init(parsing string: String) throws {
        try self.init(parsing: [string])
    }

    /// True if the object whose fields `field` looks up passes the filter.
    /// `field` gets a field path (`["labels", "a.b"]` has been joined to
    /// `["labels", "a.b"]` already: each quoted field is one element) and
    /// returns the value, or nil if the field is absent.
    public func matches(_ field: ([String]) -> String?) -> Bool {
        if alternatives.isEmpty { return true }
        return alternatives.contains { selectors in selectors.allSatisfy { $0.matches(field) } }
    }

    /// True if `object` passes the filter.
    public func matches(_ object: some Filterable) -> Bool {
        matches { object.filterField($0) }
    }
}

/// An object that filters can select on.
public protocol Filterable {
    /// The value at `fieldPath`, or nil if the object has no such field.
    func filterField(_ fieldPath: [String]) -> String?
}

extension Filter {
    /// Looks up `labels.<key>` style paths: the key is the rest of the path
    /// joined with dots, as containerd's adaptors do.
    public static func lookup(_ fieldPath: ArraySlice<String>, in map: [String: String]) -> String? {
        guard !fieldPath.isEmpty else { return nil }
        return map[fieldPath.joined(separator: ".")]
    }
}
