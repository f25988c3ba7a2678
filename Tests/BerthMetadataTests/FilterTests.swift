import BerthErrors
import BerthMetadata
import Testing

/// containerd's own filter test corpus (`filters/filter_test.go`), ported.
@Suite struct FilterTests {
    struct Entry: Filterable {
        var name: String
        var other = ""
        var labels: [String: String] = [:]

        func filterField(_ fieldPath: [String]) -> String? {
            switch fieldPath.first {
            case "name": name.isEmpty ? nil : name
            case "other": other.isEmpty ? nil : other
            case "labels": Filter.lookup(fieldPath.dropFirst(), in: labels)
            default: nil
            }
        }
    }

    static let corpus: [Entry] = [
        Entry(name: "foo", labels: ["foo": "true"]),
        Entry(name: "bar"),
        Entry(name: "foo", labels: ["foo": "present", "more complex label": "present"]),
        Entry(name: "bar", labels: ["bar": "true"]),
        Entry(name: "fooer", labels: ["more complex label with \\ and \"": "present"]),
        Entry(name: "fooer", labels: ["more complex label with \\ and \".post": "present"]),
        Entry(name: "baz", other: "too complex, yo"),
        Entry(name: "bazo", other: "abc"),
        Entry(name: "compound", labels: ["foo": "omg_asdf.asdf-qwer"]),
    ]

    static let matching: [(String, [Int])] = [
        ("", Array(0..<9)),
        ("name", Array(0..<9)),
        ("labels.foo", [0, 2, 8]),
        ("labels.foo,name", [0, 2, 8]),
        ("labels.foo==true", [0]),
        ("labels.foo==omg_asdf.asdf-qwer", [8]),
        ("name==bar", [1, 3]),
        ("name!=bar", [0, 2, 4, 5, 6, 7, 8]),
        ("name==bar,labels.bar", [3]),
        ("other==\"too complex, yo\"", [6]),
        ("other~=[abc]+,name!=foo", [6, 7]),
        ("other~=/[abc]+/,name!=foo", [6, 7]),
        ("other~=/[abc]{1,2}/,name!=foo", [6, 7]),
        ("other~=/[abc]{0,1}\"\\//,name!=foo", []),
        ("name==bar,labels.bar==true", [3]),
        ("name==bar,labels.bar==wrong", []),
        (#"name==foo,labels."more complex label""#, [2]),
        (#"labels."more complex label with \\ and \""==present"#, [4]),
        (#"labels."more complex label with \\ and \"".post==present"#, [5]),
        ("  name == bar", [1, 3]),
    ]

    @Test(arguments: matching)
    func selects(_ input: String, _ expected: [Int]) throws {
        let filter = try Filter(parsing: input)
        let selected = Self.corpus.indices.filter { filter.matches(Self.corpus[$0]) }
        #expect(selected == expected)
    }

    static let failing: [(String, String)] = [
        ("labels.|foo|==omg_asdf.asdf-qwer", "[labels. >|||< foo|==omg_asdf.asdf-qwer]: invalid quote encountered"),
        (
            #"labels.?"more complex label with \\ and \"".post==present"#,
            #"[labels. >|?|< "more complex label with \\ and \"".post==present]: expected field or quoted"#
        ),
        ("name==foo,", "[name==foo,]: expected field or quoted"),
        ("labels.", "[labels.]: expected field or quoted"),
        ("image~=,id?=?fbaq", "[image~= >|,|< id?=?fbaq]: expected value or quoted"),
        ("labels.ns/key==value", "[labels.ns >|/|< key==value]: quoted literal not terminated"),
        ("labels.key==/value", "[labels.key== >|/|< value]: quoted literal not terminated"),
    ]

    @Test(arguments: failing)
    func rejects(_ input: String, _ message: String) {
        do {
            _ = try Filter(parsing: input)
            Issue.record("\(input) parsed")
        } catch let error as MetadataError {
            #expect(error.code == .invalidArgument)
            #expect(error.message == "filters: parse error: " + message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func stringsAreOredAndEmptyMatchesAll() throws {
        let either = try Filter(parsing: ["name==foo", "name==bar"])
        #expect(Self.corpus.filter { either.matches($0) }.count == 4)
        let none = try Filter(parsing: [])
        let withEmpty = try Filter(parsing: ["name==none", ""])
        #expect(Self.corpus.allSatisfy { none.matches($0) })
        #expect(Self.corpus.allSatisfy { withEmpty.matches($0) })
    }

    @Test func badRegularExpressionsAreInvalidArguments() {
        #expect(errorCode { _ = try Filter(parsing: "name~=/[a/") } == .invalidArgument)
        #expect(errorCode { _ = try Filter(parsing: "name~=(") } == .invalidArgument)
    }
}
