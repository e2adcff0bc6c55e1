//! `--disco-format` and `--disco-show`: the documents Centreon's service
//! discovery reads from `list-*` modes. XML unless `--output-json` is given (and
//! `--output-xml` is not).

use super::markup::{json_array, json_object, json_string, Element};
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
    let sorted = items.iter().map(|item| {
        let mut fields: Vec<&(String, String)> = item.iter().collect();
        fields.sort();
        fields
    });
    let stdout = if opts.format() == Format::Json {
        let objects = sorted.map(|fields| json_object(fields.into_iter().map(|(k, v)| (k.as_str(), json_string(v)))));
        json_object([("data", json_array(objects))])
    } else {
        let labels = sorted.map(|fields| fields.into_iter().fold(Element::new("label"), |e, (k, v)| e.attribute(k, v)));
        Element::new("data").children(labels).document()
    };
    finish(stdout, opts)
}

/// Discovery ends as an OK run (`--change-exit` still applies, as Perl's exit does).
fn finish(stdout: String, opts: &OutputOptions) -> Rendered {
    Rendered { stdout, stderr: String::new(), exit_code: opts.map_exit(Status::Ok).exit_code() }
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
