//! Minimal XML and JSON writers with the exact layout of Perl's `XML::LibXML`
//! (`toString(1)`) and `JSON` encoders, so documents compare byte for byte without
//! pulling in an XML library.

/// An XML element: attributes, then either text or child elements.
#[derive(Debug)]
pub struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    /// An empty element.
    pub fn new(name: &str) -> Element {
        Element { name: name.to_string(), attributes: Vec::new(), text: String::new(), children: Vec::new() }
    }

    /// An element holding only text.
    pub fn text(name: &str, text: &str) -> Element {
        Element { text: text.to_string(), ..Element::new(name) }
    }

    /// Adds an attribute.
    pub fn attribute(mut self, name: &str, value: &str) -> Element {
        self.attributes.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a child element.
    pub fn child(mut self, child: Element) -> Element {
        self.children.push(child);
        self
    }

    /// Adds child elements.
    pub fn children(mut self, children: impl IntoIterator<Item = Element>) -> Element {
        self.children.extend(children);
        self
    }

    /// The whole document: declaration, the element indented by 2 spaces per level, empty
    /// elements self-closed, final newline.
    pub fn document(&self) -> String {
        let mut out = String::from(DECLARATION);
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    /// The element as a child at `depth` of a document written piece by piece (see
    /// [`document_around`]): a line end, then the element indented as [`Element::document`]
    /// indents it there.
    pub fn fragment(&self, depth: usize) -> String {
        let mut out = String::from("\n");
        self.write(&mut out, depth);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        out.push_str(&"  ".repeat(depth));
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attributes {
            out.push_str(&format!(" {name}=\"{}\"", escape(value, true)));
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if self.children.is_empty() {
            out.push_str(&escape(&self.text, false));
        } else {
            for child in &self.children {
                out.push('\n');
                child.write(out, depth + 1);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// The XML declaration every document starts with.
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// What comes before and after the children of a root element `name` that has at least
/// one child, each written as its [`Element::fragment`] at depth 1: together the same
/// bytes as [`Element::document`] of the whole tree.
pub fn document_around(name: &str) -> (String, String) {
    (format!("{DECLARATION}<{name}>"), format!("\n</{name}>\n"))
}

/// XML-escapes text (and quotes, in attributes). Control characters not allowed in XML
/// are written `&#xN;` first and then escaped, as the Perl discovery code does, so the
/// document stays well-formed.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 => out.push_str(&format!("&amp;#x{:X};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A JSON string literal (quotes and escapes), as the JSON encoders write it.
pub fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// A JSON object from already-encoded values, keys in the given order.
pub fn json_object<'a>(members: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let members: Vec<String> = members.into_iter().map(|(k, v)| format!("{}:{v}", json_string(k))).collect();
    format!("{{{}}}", members.join(","))
}

/// A JSON array from already-encoded values.
pub fn json_array(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_layout_matches_libxml() {
        let doc = Element::new("data")
            .child(Element::text("element", "a<b&c>"))
            .child(Element::new("label").attribute("id", "x\"y\n\u{1}"))
            .child(Element::new("empty").child(Element::text("leaf", "")));
        assert_eq!(
            doc.document(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<data>\n  <element>a&lt;b&amp;c&gt;</element>\n  \
             <label id=\"x&quot;y&#10;&amp;#x1;\"/>\n  <empty>\n    <leaf/>\n  </empty>\n</data>\n"
        );
        assert_eq!(Element::new("data").document(), "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<data/>\n");
    }

    #[test]
    fn a_document_written_piece_by_piece_is_the_same_document() {
        let children = || [Element::new("label").attribute("a", "1"), Element::new("x").child(Element::text("y", "z"))];
        let (head, tail) = document_around("data");
        let pieces: String = children().iter().map(|child| child.fragment(1)).collect();
        assert_eq!(format!("{head}{pieces}{tail}"), Element::new("data").children(children()).document());
    }

    #[test]
    fn json_helpers_escape_and_keep_order() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        let object = json_object([("z", json_string("1")), ("a", json_array(vec!["2".to_string()]))]);
        assert_eq!(object, "{\"z\":\"1\",\"a\":[2]}");
    }
}
