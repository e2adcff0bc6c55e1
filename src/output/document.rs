//! The `--output-json`, `--output-xml` and `--output-openmetrics` documents.
//!
//! Perl prints keys and severity groups in random hash order; these writers use a fixed
//! order: messages CRITICAL, WARNING, UNKNOWN, OK, then the long lines; record
//! keys label, value, unit, warning, critical, min, max, mode, nlabel, instances.

use super::markup::{json_array, json_object, json_string, Element};
use super::text::{block_messages, Labels, BLOCK_ORDER};
use super::{DisplayContext, Perfdata, ShortMessage};
use crate::status::Status;

/// Everything a JSON or XML document shows.
#[derive(Debug)]
pub struct Document<'a> {
    /// Plugin and mode names.
    pub ctx: &'a DisplayContext,
    /// The `exit` field: the status label, or the lower-case `--opt-exit` on error exits.
    pub exit: String,
    /// The short messages.
    pub short: &'a [ShortMessage],
    /// The final status: unqualified messages take it.
    pub status: Status,
    /// Whether messages start with `SEV: ` (not with `--output-ignore-label`).
    pub labels: Labels,
    /// Long lines (`type 2`), empty unless shown.
    pub long: &'a [String],
    /// The records after the whole perfdata pipeline.
    pub perfdata: &'a [Perfdata],
}

/// One entry of `outputs`: a short message with its severity, or a long line.
enum Output<'a> {
    Short(Status, String),
    Long(&'a str),
}

impl Document<'_> {
    fn outputs(&self) -> Vec<Output<'_>> {
        let mut outputs = Vec::new();
        for block in BLOCK_ORDER {
            for message in block_messages(self.short, block, self.status) {
                let text = match self.labels {
                    Labels::Hidden => message.to_string(),
                    Labels::Shown => format!("{}: {message}", block.label()),
                };
                outputs.push(Output::Short(block, text));
            }
        }
        outputs.extend(self.long.iter().map(|line| Output::Long(line)));
        outputs
    }

    /// The JSON document: one line, no trailing newline.
    pub fn json(&self) -> String {
        let outputs = self.outputs().into_iter().map(|output| match output {
            Output::Short(status, msg) => json_object([
                ("type", "1".to_string()),
                ("exit", json_string(status.label())),
                ("msg", json_string(&msg)),
            ]),
            Output::Long(msg) => long_json(msg),
        });
        let perfdatas = self
            .perfdata
            .iter()
            .map(|record| json_object(record_fields(record).into_iter().map(|(k, v)| (k, json_string(v)))));
        let plugin = json_object([
            ("name", json_string(&self.ctx.plugin)),
            ("mode", json_string(&self.ctx.mode)),
            ("exit", json_string(&self.exit)),
            ("outputs", json_array(outputs)),
            ("perfdatas", json_array(perfdatas)),
        ]);
        json_object([("plugin", plugin)])
    }

    /// The XML document, as `XML::LibXML` indents it.
    pub fn xml(&self) -> String {
        let outputs = self.outputs().into_iter().map(|output| match output {
            Output::Short(status, msg) => Element::new("output")
                .child(Element::text("type", "1"))
                .child(Element::text("exit", status.label()))
                .child(Element::text("msg", &msg)),
            Output::Long(msg) => long_xml(msg),
        });
        let perfdatas = self.perfdata.iter().map(|record| {
            Element::new("perfdata").children(record_fields(record).into_iter().map(|(k, v)| Element::text(k, v)))
        });
        Element::new("plugin")
            .child(Element::text("name", &self.ctx.plugin))
            .child(Element::text("mode", &self.ctx.mode))
            .child(Element::text("exit", &self.exit))
            .child(Element::new("outputs").children(outputs))
            .child(Element::new("perfdatas").children(perfdatas))
            .document()
    }
}

/// A long line's entry of the JSON document's `outputs`.
pub(super) fn long_json(line: &str) -> String {
    json_object([("type", "2".to_string()), ("msg", json_string(line))])
}

/// A long line's element of the XML document's `outputs`.
pub(super) fn long_xml(line: &str) -> Element {
    Element::new("output").child(Element::text("type", "2")).child(Element::text("msg", line))
}

/// What ends a document without perfdata after its last long line: a listing writes its
/// lines before it, one at a time.
pub(super) const JSON_TAIL: &str = "],\"perfdatas\":[]}}";

/// The same for the XML document, whose `outputs` elements are at depth 2.
pub(super) const XML_TAIL: &str = "\n  </outputs>\n  <perfdatas/>\n</plugin>\n";

/// The depth of the XML document's `output` elements.
pub(super) const XML_OUTPUT_DEPTH: usize = 2;

/// A record's keys as the documents show them; `mode`, `nlabel` and `instances` only when
/// present.
fn record_fields(record: &Perfdata) -> Vec<(&'static str, &str)> {
    let mut fields = vec![
        ("label", record.label.as_str()),
        ("value", &record.value),
        ("unit", &record.unit),
        ("warning", &record.warning),
        ("critical", &record.critical),
        ("min", &record.min),
        ("max", &record.max),
    ];
    for (key, value) in [("mode", &record.mode), ("nlabel", &record.nlabel), ("instances", &record.instances)] {
        if let Some(value) = value {
            fields.push((key, value));
        }
    }
    fields
}

/// The OpenMetrics lines: `METRIC{plugin="…",mode="…"[,unit=…][,warning=…][,critical=…]
/// [,min=…][,max=…][,instance=…]} VALUE UNIXMS`, one per record, the label split at its
/// first `#` (instance before, metric after). Label values are escaped (`\`, `"`, newline),
/// which Perl did not do.
pub fn openmetrics(records: &[Perfdata], ctx: &DisplayContext, now_ms: u128) -> String {
    let mut out = String::new();
    for record in records {
        let (instance, metric) = match record.label.split_once('#') {
            Some((instance, metric)) => (instance, metric),
            None => ("", record.label.as_str()),
        };
        let mode = record.mode.as_deref().unwrap_or("");
        let mut labels = format!("plugin=\"{}\",mode=\"{}\"", escape_label(&ctx.plugin), escape_label(mode));
        let optional = [
            ("unit", record.unit.as_str()),
            ("warning", &record.warning),
            ("critical", &record.critical),
            ("min", &record.min),
            ("max", &record.max),
            ("instance", instance),
        ];
        for (name, value) in optional.into_iter().filter(|(_, v)| !v.is_empty()) {
            labels.push_str(&format!(",{name}=\"{}\"", escape_label(value)));
        }
        out.push_str(&format!("{metric}{{{labels}}} {} {now_ms}\n", record.value));
    }
    out
}

/// Escapes an OpenMetrics label value.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::{ctx, email_activity_perfdata, email_activity_short};

    fn document<'a>(ctx: &'a DisplayContext, short: &'a [ShortMessage], perfdata: &'a [Perfdata]) -> Document<'a> {
        Document { ctx, exit: "OK".into(), short, status: Status::Ok, labels: Labels::Shown, long: &[], perfdata }
    }

    #[test]
    fn json_document_shape() {
        let ctx = ctx("email-activity");
        let short = email_activity_short();
        let perfdata = email_activity_perfdata();
        let json = document(&ctx, &short, &perfdata[..1]).json();
        assert_eq!(
            json,
            "{\"plugin\":{\"name\":\"cloud::microsoft::office365::exchange::plugin\",\"mode\":\"email-activity\",\
             \"exit\":\"OK\",\"outputs\":[{\"type\":1,\"exit\":\"OK\",\"msg\":\"OK: Active users on 2026-11-22 : 12/40 (30.00%)\"},\
             {\"type\":1,\"exit\":\"OK\",\"msg\":\"OK: Total (active users) Send Count: 250, Receive Count: 1295, Read Count: 1332\"}],\
             \"perfdatas\":[{\"label\":\"perfdate\",\"value\":\"1795348800\",\"unit\":\"\",\"warning\":\"\",\"critical\":\"\",\
             \"min\":\"\",\"max\":\"\",\"mode\":\"email-activity\"}]}}"
        );
    }

    #[test]
    fn messages_are_ordered_by_severity_then_long_lines() {
        let ctx = ctx("m");
        let short = vec![
            ShortMessage { severity: Some(Status::Ok), text: "fine".into() },
            ShortMessage { severity: None, text: "err".into() },
            ShortMessage { severity: Some(Status::Critical), text: "bad".into() },
        ];
        let long = ["line".to_string()];
        let doc = Document {
            status: Status::Critical,
            exit: "CRITICAL".into(),
            labels: Labels::Hidden,
            long: &long,
            ..document(&ctx, &short, &[])
        };
        let json = doc.json();
        assert!(json.contains("\"outputs\":[{\"type\":1,\"exit\":\"CRITICAL\",\"msg\":\"bad\"},{\"type\":1,\"exit\":\"CRITICAL\",\"msg\":\"err\"},{\"type\":1,\"exit\":\"OK\",\"msg\":\"fine\"},{\"type\":2,\"msg\":\"line\"}]"), "{json}");
        assert!(json.ends_with("\"perfdatas\":[]}}"));
    }

    #[test]
    fn xml_document_shape() {
        let ctx = ctx("email-activity");
        let short = vec![ShortMessage { severity: Some(Status::Critical), text: "a < b".into() }];
        let mut perfdata = email_activity_perfdata();
        perfdata[1].critical = "0:4".into();
        perfdata[1].nlabel = Some("exchange.users.active.count".into());
        let doc =
            Document { status: Status::Critical, exit: "CRITICAL".into(), ..document(&ctx, &short, &perfdata[1..2]) };
        assert_eq!(
            doc.xml(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<plugin>\n  <name>cloud::microsoft::office365::exchange::plugin</name>\n  \
             <mode>email-activity</mode>\n  <exit>CRITICAL</exit>\n  <outputs>\n    <output>\n      <type>1</type>\n      \
             <exit>CRITICAL</exit>\n      <msg>CRITICAL: a &lt; b</msg>\n    </output>\n  </outputs>\n  <perfdatas>\n    \
             <perfdata>\n      <label>active_users</label>\n      <value>12</value>\n      <unit>users</unit>\n      <warning/>\n      \
             <critical>0:4</critical>\n      <min>0</min>\n      <max>40</max>\n      <mode>email-activity</mode>\n      \
             <nlabel>exchange.users.active.count</nlabel>\n    </perfdata>\n  </perfdatas>\n</plugin>\n"
        );
        let empty = Document { perfdata: &[], short: &[], ..doc };
        assert!(empty.xml().contains("  <outputs/>\n  <perfdatas/>\n"));
    }

    #[test]
    fn openmetrics_lines() {
        let ctx = ctx("email-activity");
        let mut records = email_activity_perfdata();
        records[1].label = "exchange.users.active.count".into();
        records[1].warning = "0:2".into();
        records[2].label = "user\"6#exchange.users.emails.sent.count".into();
        records[3].mode = None;
        let out = openmetrics(&records[..4], &ctx, 1795720404775);
        let lines: Vec<&str> = out.lines().collect();
        let p = "plugin=\"cloud::microsoft::office365::exchange::plugin\"";
        assert_eq!(lines[0], format!("perfdate{{{p},mode=\"email-activity\"}} 1795348800 1795720404775"));
        assert_eq!(lines[1], format!("exchange.users.active.count{{{p},mode=\"email-activity\",unit=\"users\",warning=\"0:2\",min=\"0\",max=\"40\"}} 12 1795720404775"));
        assert_eq!(lines[2], format!("exchange.users.emails.sent.count{{{p},mode=\"email-activity\",min=\"0\",instance=\"user\\\"6\"}} 250 1795720404775"));
        assert_eq!(lines[3], format!("total_receive_count{{{p},mode=\"\",min=\"0\"}} 1295 1795720404775"));
        assert!(out.ends_with('\n'));
    }
}
