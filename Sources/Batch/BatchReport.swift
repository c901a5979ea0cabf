import Foundation
import Weights

/// The self-contained HTML page of a batch (`--html REPORT.html`): the failures first, then
/// every captioned image as a small embedded JPEG with its caption and score; clicking one shows
/// its n-best list. The page holds its data as one JSON block and draws 60 images a page, with
/// a filter box, so it opens at once even for tens of thousands of images.
public struct BatchReport {
    public var title: String
    /// Lines for the summary at the top, such as "60 images in 12.3 s".
    public var summary: [String]
    public var records: [BatchRecord]
    /// JPEG thumbnail bytes by image path; an image without one shows a placeholder.
    public var thumbnails: [String: [UInt8]]

    public init(title: String, summary: [String], records: [BatchRecord], thumbnails: [String: [UInt8]]) {
        self.title = title
        self.summary = summary
        self.records = records
        self.thumbnails = thumbnails
    }

    /// Images per page.
    static let pageSize = 60

    public var html: String {
        var items: [String] = []
        items.reserveCapacity(records.count)
        for record in records {
            var fields = ["\"i\":\(JSONText.quoted(record.image))"]
            if let error = record.error {
                fields.append("\"e\":\(JSONText.quoted(error))")
            } else {
                fields.append("\"c\":\(JSONText.quoted(record.caption))")
                fields.append("\"p\":\(BatchRecord.number(record.candidates.first?.logprob ?? 0))")
                if let confidence = record.confidence { fields.append("\"k\":\(BatchRecord.number(confidence))") }
                let beams = record.candidates.map { "[\(JSONText.quoted($0.caption)),\(BatchRecord.number($0.logprob))]" }
                fields.append("\"b\":[\(beams.joined(separator: ","))]")
                if let thumbnail = thumbnails[record.image] {
                    fields.append("\"t\":\"\(Data(thumbnail).base64EncodedString())\"")
                }
            }
            items.append("{" + fields.joined(separator: ",") + "}")
        }
        // "<" is escaped so no caption or path can close the script element early.
        let data = ("[" + items.joined(separator: ",\n") + "]").replacingOccurrences(of: "<", with: "\\u003c")
        let summaryHTML = summary.map { "<li>\(Self.escape($0))</li>" }.joined()
        return Self.template
            .replacingOccurrences(of: "{{TITLE}}", with: Self.escape(title))
            .replacingOccurrences(of: "{{SUMMARY}}", with: summaryHTML)
            .replacingOccurrences(of: "{{PAGE_SIZE}}", with: String(Self.pageSize))
            .replacingOccurrences(of: "{{DATA}}", with: data)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let template = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{TITLE}}</title>
    <style>
    body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px; color: #222; }
    h1 { font-size: 20px; margin: 0 0 8px; }
    h2 { font-size: 16px; margin: 16px 0 8px; }
    .summary { margin: 0; padding-left: 18px; color: #444; }
    #errors { background: #fff4f4; border: 1px solid #e8b4b4; border-radius: 6px; padding: 8px 12px; }
    #errors ul { margin: 4px 0; padding-left: 18px; max-height: 240px; overflow: auto; }
    #errors code { word-break: break-all; }
    .bar { display: flex; gap: 8px; align-items: center; margin: 12px 0; flex-wrap: wrap; }
    .bar input { flex: 1; min-width: 200px; padding: 6px 8px; font: inherit; }
    .bar button { font: inherit; padding: 4px 10px; }
    #grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
    .card { border: 1px solid #ddd; border-radius: 6px; padding: 8px; cursor: pointer; background: #fff; }
    .card:hover { border-color: #888; }
    .thumb { width: 100%; height: 140px; object-fit: contain; background: #f2f2f2; display: block; }
    .noimg { width: 100%; height: 140px; background: #f2f2f2; display: flex; align-items: center; justify-content: center; color: #999; }
    .caption { font-weight: 600; margin: 6px 0 2px; }
    .meta { color: #666; font-size: 12px; word-break: break-all; }
    .beams { display: none; margin: 6px 0 0; padding-left: 18px; font-size: 13px; }
    .card.open .beams { display: block; }
    .beams span { color: #666; }
    </style>
    </head>
    <body>
    <h1>{{TITLE}}</h1>
    <ul class="summary">{{SUMMARY}}</ul>
    <div id="errors" hidden><h2 id="errors-title"></h2><ul id="error-list"></ul></div>
    <div class="bar">
      <input id="filter" type="search" placeholder="Filter by caption or file name">
      <button id="prev">&lsaquo; Previous</button><span id="page"></span><button id="next">Next &rsaquo;</button>
    </div>
    <div id="grid"></div>
    <script id="data" type="application/json">{{DATA}}</script>
    <script>
    "use strict";
    const all = JSON.parse(document.getElementById("data").textContent);
    const pageSize = {{PAGE_SIZE}};
    const failed = all.filter(r => r.e !== undefined);
    const captioned = all.filter(r => r.e === undefined);
    let shown = captioned, page = 0;

    function element(tag, className, text) {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined) node.textContent = text;
      return node;
    }

    if (failed.length > 0) {
      document.getElementById("errors").hidden = false;
      document.getElementById("errors-title").textContent =
        failed.length + (failed.length === 1 ? " file" : " files") + " could not be captioned";
      const list = document.getElementById("error-list");
      for (const r of failed) {
        const item = element("li");
        item.appendChild(element("code", "", r.i));
        item.appendChild(document.createTextNode(": " + r.e));
        list.appendChild(item);
      }
    }

    function card(r) {
      const node = element("div", "card");
      if (r.t) {
        const img = element("img", "thumb");
        img.alt = r.c;
        img.loading = "lazy";
        img.src = "data:image/jpeg;base64," + r.t;
        node.appendChild(img);
      } else {
        node.appendChild(element("div", "noimg", "no preview"));
      }
      node.appendChild(element("div", "caption", r.c));
      const score = "log-prob " + r.p.toFixed(2) + (r.k !== undefined ? " · confidence " + r.k.toFixed(2) : "");
      node.appendChild(element("div", "meta", score));
      node.appendChild(element("div", "meta", r.i));
      const beams = element("ol", "beams");
      for (const [caption, logprob] of r.b) {
        const item = element("li", "", caption + " ");
        item.appendChild(element("span", "", "(" + logprob.toFixed(2) + ")"));
        beams.appendChild(item);
      }
      node.appendChild(beams);
      node.title = r.b.length > 1 ? "Click for the " + r.b.length + " best captions" : "";
      node.addEventListener("click", () => node.classList.toggle("open"));
      return node;
    }

    function render() {
      const pages = Math.max(1, Math.ceil(shown.length / pageSize));
      page = Math.min(Math.max(page, 0), pages - 1);
      const grid = document.getElementById("grid");
      grid.replaceChildren(...shown.slice(page * pageSize, (page + 1) * pageSize).map(card));
      document.getElementById("page").textContent =
        "page " + (page + 1) + " of " + pages + " (" + shown.length + " images)";
      document.getElementById("prev").disabled = page === 0;
      document.getElementById("next").disabled = page >= pages - 1;
    }

    document.getElementById("prev").addEventListener("click", () => { page -= 1; render(); });
    document.getElementById("next").addEventListener("click", () => { page += 1; render(); });
    document.getElementById("filter").addEventListener("input", event => {
      const query = event.target.value.toLowerCase();
      shown = query ? captioned.filter(r => r.c.toLowerCase().includes(query) || r.i.toLowerCase().includes(query)) : captioned;
      page = 0;
      render();
    });
    render();
    </script>
    </body>
    </html>

    """
}
