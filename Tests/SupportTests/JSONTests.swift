import Foundation
import Support
import Testing

@Suite struct JSONTests {
    /// Parses `text` with Foundation's reader: the independent check that the output is JSON.
    private func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    @Test func nonFiniteNumbersAreNull() throws {
        let text = JSON.object([("nan", .number(.nan)), ("inf", .number(.infinity)), ("ninf", .compact(-.infinity)),
                                ("x", .number(-1.23456))]).text
        #expect(text == #"{"nan":null,"inf":null,"ninf":null,"x":-1.2346}"#)
        let object = try #require(try parse(text) as? [String: Any])
        #expect(object["nan"] is NSNull && object["inf"] is NSNull)
    }

    @Test func stringsRoundTripThroughAReader() throws {
        let hostile = "a\"b\\c\nd\te\u{01}é</script>\u{2028}"
        let text = JSON.array([.string(hostile), .string("")]).text
        #expect(!text.contains("\n"))
        let values = try #require(try parse(text) as? [String])
        #expect(values == [hostile, ""])
    }

    @Test func fieldsKeepTheirOrderAndNest() {
        let text = JSON.object([("b", .int(2)), ("a", .array([.bool(true), .null, .object([])]))]).text
        #expect(text == #"{"b":2,"a":[true,null,{}]}"#)
    }

    @Test func absentNumbersAreNull() {
        #expect(JSON.number(nil).text == "null")
        #expect(JSON.number(Float(0.5), decimals: 2).text == "0.50")
    }
}

@Suite struct HTMLTests {
    @Test func escapesEveryCharacterThatOpensMarkupOrAttributes() {
        #expect(HTML.escape(#"<img src=x onerror=alert(1)>'"&"#) == "&lt;img src=x onerror=alert(1)&gt;&#39;&quot;&amp;")
    }

    @Test func scriptJSONCannotCloseTheScript() {
        #expect(!HTML.scriptJSON(#"["</script><script>alert(1)</script>"]"#).contains("<"))
    }

    @Test func templatesAreFilledOnceWithoutReexpandingValues() {
        let page = HTML.fill("<h1>{{TITLE}}</h1>{{DATA}}{{UNKNOWN}}", ["TITLE": "{{DATA}}", "DATA": "d"])
        #expect(page == "<h1>{{DATA}}</h1>d{{UNKNOWN}}")
    }
}

@Suite struct OneLineTests {
    @Test func controlCharactersAreEscaped() {
        #expect(OneLine.escaped("a\nb\r\tc\u{7}") == "a\\nb\\r\\tc\\u{7}")
        #expect(OneLine.escaped("plain é") == "plain é")
    }
}

@Suite struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsed() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.insert(1, for: "a")
        cache.insert(2, for: "b")
        _ = cache.value(for: "a")
        cache.insert(3, for: "c")
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == 1 && cache.value(for: "c") == 3)
        #expect(cache.count == 2)
    }
}

@Suite struct LineReaderTests {
    @Test func splitsLinesDropsCRAndBoundsLongLines() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(("one\r\ntwo\n" + String(repeating: "x", count: 300) + "\nlast").utf8).write(to: url)
        let reader = LineReader(handle: try FileHandle(forReadingFrom: url), maximumBytes: 100)
        var lines: [String] = []
        while let line = reader.next() {
            switch line {
            case .text(let text): lines.append(text)
            case .tooLong(let bytes): lines.append("too long \(bytes)")
            }
        }
        #expect(lines == ["one", "two", "too long 300", "last"])
    }
}
