//! `--disco-format` and `--disco-show`: the documents Centreon's service
//! discovery reads from `list-*` modes. XML unless `--output-json` is given (and
//! `--output-xml` is not).

use super::markup::{document_around, json_array, json_object, json_string, Element};
use super::options::{Format, OutputOptions};
use super::Rendered;
use crate::status::Status;

/// The mode's discovery macro names: `<data><element>NAME</element>…</data>` or
/// `{"data":["NAME",…]}`.
pub fn display_disco_format(names: &[&str], opts: &OutputOptions) -> Rendered {
    let stdout = if opts.format() == Format::Json {
        json_object([("data", json_array(names.iter().map(|name| json_string(name))))])
    } else {
        Element::new("data").children(names.iter().map(|name| Element::text("element", name))).document()
    };
    finish(stdout, opts)
}

/// The discovered objects: one `<label KEY="VALUE" …/>` per object (attributes sorted by
/// name) or `{"data":[{…},…]}`.
pub fn display_disco_show(items: &[Vec<(String, String)>], opts: &OutputOptions) -> Rendered {
    let mut objects = DiscoObjects::new(opts);
    let body: String = items.iter().map(|item| objects.object(item)).collect();
    let (head, tail) = objects.frame();
    finish(format!("{head}{body}{tail}"), opts)
}

/// The `--disco-show` document written one object at a time, so that a listing can
/// keep its objects' bytes aside as it reads them: [`DiscoObjects::object`] for each,
/// then [`DiscoObjects::frame`] for what goes around them.
#[derive(Debug)]
pub(super) struct DiscoObjects {
    json: bool,
    count: usize,
}

impl DiscoObjects {
    /// The document `opts` asks for (JSON with `--output-json`, else XML).
    pub(super) fn new(opts: &OutputOptions) -> DiscoObjects {
        DiscoObjects { json: opts.format() == Format::Json, count: 0 }
    }

    /// The bytes of one object, after those of the objects before it.
    pub(super) fn object(&mut self, item: &[(String, String)]) -> String {
        let mut fields: Vec<&(String, String)> = item.iter().collect();
        fields.sort();
        self.count += 1;
        if self.json {
            let object = json_object(fields.into_iter().map(|(k, v)| (k.as_str(), json_string(v))));
            if self.count == 1 {
                object
            } else {
                format!(",{object}")
            }
        } else {
            fields.into_iter().fold(Element::new("label"), |e, (k, v)| e.attribute(k, v)).fragment(1)
        }
    }

    /// What goes before and after the objects written so far.
    pub(super) fn frame(&self) -> (String, String) {
        match (self.json, self.count) {
            (true, _) => (format!("{{{}:[", json_string("data")), "]}".to_string()),
            (false, 0) => (Element::new("data").document(), String::new()),
            (false, _) => document_around("data"),
        }
    }

    /// The exit code of a discovery.
    pub(super) fn exit_code(opts: &OutputOptions) -> i32 {
        opts.map_exit(Status::Ok).exit_code()
    }
}

/// Discovery ends as an OK run (`--change-exit` still applies, as Perl's exit does).
fn finish(stdout: String, opts: &OutputOptions) -> Rendered {
    Rendered { stdout, stderr: String::new(), exit_code: DiscoObjects::exit_code(opts) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::options;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn format_documents() {
        let xml = options(&[("disco-format", "1")]);
        let out = display_disco_format(&["service_id", "service_name"], &xml);
        assert_eq!(out.stdout, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<data>\n  <element>service_id</element>\n  <element>service_name</element>\n</data>\n");
        assert_eq!(out.exit_code, 0);
        assert_eq!(display_disco_format(&[], &xml).stdout, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<data/>\n");
        let json = options(&[("disco-format", "1"), ("output-json", "1")]);
        assert_eq!(display_disco_format(&["a", "b"], &json).stdout, "{\"data\":[\"a\",\"b\"]}");
    }

    #[test]
    fn show_documents() {
        let items = vec![
            vec![pair("service_name", "Exchange Online Protection"), pair("service_id", "EOP")],
            vec![pair("service_id", "A&B"), pair("service_name", "x\"y")],
        ];
        let xml = options(&[("disco-show", "1")]);
        assert_eq!(
            display_disco_show(&items, &xml).stdout,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<data>\n  <label service_id=\"EOP\" service_name=\"Exchange Online Protection\"/>\n  \
             <label service_id=\"A&amp;B\" service_name=\"x&quot;y\"/>\n</data>\n"
        );
        let json = options(&[("disco-show", "1"), ("output-json", "1"), ("change-exit", "ok=critical")]);
        let out = display_disco_show(&[], &json);
        assert_eq!((out.stdout.as_str(), out.exit_code), ("{\"data\":[]}", 2));
        let out = display_disco_show(&items[..1], &json);
        assert_eq!(out.stdout, "{\"data\":[{\"service_id\":\"EOP\",\"service_name\":\"Exchange Online Protection\"}]}");
    }
}
