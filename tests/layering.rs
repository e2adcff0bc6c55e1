//! The shape of the sources, as rules a change cannot break unnoticed: no import
//! circle between the modules of `src/`, `custom/` and `modes/`; the core (`src/`)
//! never names a mode or Office 365; `custom/` never formats output; `modes/` never
//! builds an HTTP request; no source file over 1,000 lines; every test file compiled;
//! every server the tests start is part of the one mock (`tests/mock`).
//!
//! The sources are read with `syn` into a graph of modules and their imports:
//!
//! - a module is a file, or an inline `mod name { … }` in one; `mod` declarations are
//!   containment, not imports, and what is compiled for tests only (`#[cfg(test)]`)
//!   is left out: tests may reach across the layers they test;
//! - module A imports module B when A's code names an item of B: a `use`, or a path
//!   in code (`crate::b::f()`, `super::Thing`, `centreon_plugin::b::T`, `b::f()`
//!   after `use crate::b`, a name that a glob import brings from B), in macro calls
//!   too;
//! - a re-export (`pub use b::Thing`) is not an import of the module that makes it:
//!   a path through it reaches the module that defines `Thing`;
//! - a module using its parent's (or any ancestor's) items is not an import: a child
//!   is part of its parent, which is where what its children share lives; a parent
//!   using its child's items is an import, so two siblings that import each other
//!   are a circle, and so is a parent whose child imports a sibling the parent uses
//!   and that leads back to the child.
//!
//! `docs/architecture.md` ("The import rule") says how a circle is fixed.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Attribute, Item, UseTree, Visibility};

use crate::common::plugin::Plugin;

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Which crate a module belongs to: the core library or the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Krate {
    Lib,
    Bin,
}

/// One `use` path, flattened out of its tree.
#[derive(Debug, Clone)]
struct Use {
    path: Vec<String>,
    /// The name it brings into scope (its alias), `*` for a glob.
    name: String,
    /// A re-export (`pub use`, `pub(crate) use`, …).
    public: bool,
}

/// One module of the sources and what its code names.
#[derive(Debug, Default)]
struct Module {
    krate: Option<Krate>,
    /// Where it is: a file, `file::name` for an inline module.
    label: String,
    /// The top directory of its file: `src`, `custom` or `modes`.
    area: String,
    parent: Option<usize>,
    children: BTreeMap<String, usize>,
    /// The names of the items it defines.
    defined: BTreeSet<String>,
    uses: Vec<Use>,
    /// The paths its code names, as segments.
    paths: Vec<Vec<String>>,
    /// The string literals of its code (doc comments aside).
    strings: Vec<String>,
    /// The identifiers of its code.
    idents: BTreeSet<String>,
}

/// Whether the attributes make an item compiled for tests only.
fn test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && matches!(&attr.meta, syn::Meta::List(list)
                if list.tokens.to_string().split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "test")
                    && !list.tokens.to_string().contains("not"))
    })
}

/// The `#[path = "…"]` of a module declaration.
fn path_attribute(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// `path` with its `..` taken out (`src/../custom/mod.rs` is `custom/mod.rs`).
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Flattens a use tree under `prefix`.
fn flatten(tree: &UseTree, prefix: &[String], public: bool, out: &mut Vec<Use>) {
    let with = |name: String| prefix.iter().cloned().chain([name]).collect::<Vec<_>>();
    match tree {
        UseTree::Path(p) => flatten(&p.tree, &with(p.ident.to_string()), public, out),
        UseTree::Name(n) if n.ident == "self" => {
            let name = prefix.last().cloned().unwrap_or_default();
            out.push(Use { path: prefix.to_vec(), name, public });
        }
        UseTree::Name(n) => out.push(Use { path: with(n.ident.to_string()), name: n.ident.to_string(), public }),
        UseTree::Rename(r) if r.ident == "self" => {
            out.push(Use { path: prefix.to_vec(), name: r.rename.to_string(), public })
        }
        UseTree::Rename(r) => out.push(Use { path: with(r.ident.to_string()), name: r.rename.to_string(), public }),
        UseTree::Glob(_) => out.push(Use { path: prefix.to_vec(), name: "*".into(), public }),
        UseTree::Group(g) => g.items.iter().for_each(|t| flatten(t, prefix, public, out)),
    }
}

/// Collects what a module's code names, skipping what is compiled for tests only.
struct Collector<'a>(&'a mut Module);

impl Collector<'_> {
    /// The paths (two segments or more), strings and identifiers of a macro's tokens.
    fn tokens(&mut self, tokens: TokenStream) {
        let mut path: Vec<String> = Vec::new();
        let mut colons = 0;
        let flush = |path: &mut Vec<String>, module: &mut Module| {
            if path.len() > 1 {
                module.paths.push(std::mem::take(path));
            }
            path.clear();
        };
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    self.0.idents.insert(name.clone());
                    if colons != 2 {
                        flush(&mut path, self.0);
                    }
                    path.push(name);
                    colons = 0;
                }
                TokenTree::Punct(p) if p.as_char() == ':' => colons += 1,
                TokenTree::Group(group) => {
                    flush(&mut path, self.0);
                    self.tokens(group.stream());
                }
                TokenTree::Literal(literal) => {
                    flush(&mut path, self.0);
                    if let Ok(syn::Lit::Str(s)) = syn::parse_str::<syn::Lit>(&literal.to_string()) {
                        self.0.strings.push(s.value());
                    }
                }
                TokenTree::Punct(_) => {
                    flush(&mut path, self.0);
                    colons = 0;
                }
            }
        }
        flush(&mut path, self.0);
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.0.paths.push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }

    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        self.0.idents.insert(ident.to_string());
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        self.0.strings.push(lit.value());
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone());
    }

    fn visit_attribute(&mut self, _: &'ast Attribute) {}

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        flatten(&item.tree, &[], false, &mut self.0.uses);
    }

    fn visit_item(&mut self, item: &'ast Item) {
        if !test_only(item_attrs(item)) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            syn::ImplItem::Type(t) => &t.attrs,
            _ => return syn::visit::visit_impl_item(self, item),
        };
        if !test_only(attrs) {
            syn::visit::visit_impl_item(self, item);
        }
    }
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// The name an item defines, if any.
fn item_name(item: &Item) -> Option<String> {
    Some(match item {
        Item::Const(i) => i.ident.to_string(),
        Item::Enum(i) => i.ident.to_string(),
        Item::Fn(i) => i.sig.ident.to_string(),
        Item::Macro(i) => i.ident.as_ref()?.to_string(),
        Item::Static(i) => i.ident.to_string(),
        Item::Struct(i) => i.ident.to_string(),
        Item::Trait(i) => i.ident.to_string(),
        Item::Type(i) => i.ident.to_string(),
        Item::Union(i) => i.ident.to_string(),
        _ => return None,
    })
}

/// Every module of both crates.
struct Graph {
    modules: Vec<Module>,
}

impl Graph {
    fn load() -> Graph {
        let mut graph = Graph { modules: Vec::new() };
        graph.file(Krate::Lib, None, &root().join("src/lib.rs"));
        graph.file(Krate::Bin, None, &root().join("src/main.rs"));
        graph
    }

    fn file(&mut self, krate: Krate, parent: Option<usize>, file: &Path) -> usize {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let here = file.parent().expect("a directory").to_path_buf();
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let below = if ["mod", "lib", "main"].contains(&stem) { here.clone() } else { here.join(stem) };
        let label = normal(file.strip_prefix(root()).unwrap_or(file)).display().to_string();
        self.items(krate, parent, label, &ast.items, &here, &below)
    }

    /// Adds the module made of `items`: `here` is its file's directory (for
    /// `#[path]`), `below` where its child files are.
    fn items(
        &mut self,
        krate: Krate,
        parent: Option<usize>,
        label: String,
        items: &[Item],
        here: &Path,
        below: &Path,
    ) -> usize {
        let id = self.modules.len();
        let area = label.split('/').next().unwrap_or_default().to_string();
        self.modules.push(Module { krate: Some(krate), label: label.clone(), area, parent, ..Module::default() });
        for item in items.iter().filter(|item| !test_only(item_attrs(item))) {
            match item {
                Item::Mod(m) => {
                    let name = m.ident.to_string();
                    let child = match &m.content {
                        Some((_, content)) => {
                            self.items(krate, Some(id), format!("{label}::{name}"), content, here, &below.join(&name))
                        }
                        None => {
                            let file = match path_attribute(&m.attrs) {
                                Some(path) => here.join(path),
                                None if below.join(format!("{name}.rs")).exists() => below.join(format!("{name}.rs")),
                                None => below.join(&name).join("mod.rs"),
                            };
                            self.file(krate, Some(id), &file)
                        }
                    };
                    self.modules[id].children.insert(name, child);
                }
                Item::Use(u) => {
                    let public = !matches!(u.vis, Visibility::Inherited);
                    flatten(&u.tree, &[], public, &mut self.modules[id].uses);
                }
                _ => {
                    if let Some(name) = item_name(item) {
                        self.modules[id].defined.insert(name);
                    }
                    Collector(&mut self.modules[id]).visit_item(item);
                }
            }
        }
        id
    }

    fn root_of(&self, mut id: usize) -> usize {
        while let Some(parent) = self.modules[id].parent {
            id = parent;
        }
        id
    }

    /// The module a path names from module `from`, and the item named in it (none
    /// for the module itself); `None` for a path outside the sources or local to `from`.
    fn resolve(&self, from: usize, path: &[String], depth: usize) -> Option<(usize, Option<String>)> {
        if depth > 16 || path.is_empty() {
            return None;
        }
        let (mut at, mut rest) = match path[0].as_str() {
            "crate" => (self.root_of(from), &path[1..]),
            "self" => (from, &path[1..]),
            "super" => {
                let mut at = from;
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    at = self.modules[at].parent?;
                    rest = &rest[1..];
                }
                (at, rest)
            }
            "centreon_plugin" if self.modules[from].krate == Some(Krate::Bin) => (0, &path[1..]),
            name => {
                let module = &self.modules[from];
                if let Some(&child) = module.children.get(name) {
                    (child, &path[1..])
                } else if module.defined.contains(name) {
                    return None;
                } else if let Some(used) = module.uses.iter().find(|u| u.name == name) {
                    match self.resolve(from, &used.path, depth + 1)? {
                        (target, None) => (target, &path[1..]),
                        item => return Some(item),
                    }
                } else {
                    let mut found = None;
                    for glob in module.uses.iter().filter(|u| u.name == "*") {
                        let Some((g, None)) = self.resolve(from, &glob.path, depth + 1) else { continue };
                        if let Some(&child) = self.modules[g].children.get(name) {
                            found = Some((child, &path[1..]));
                            break;
                        }
                        if self.offers(g, name) {
                            return Some(self.item(g, name, depth + 1));
                        }
                    }
                    found?
                }
            }
        };
        while let Some(&child) = rest.first().and_then(|name| self.modules[at].children.get(name)) {
            at = child;
            rest = &rest[1..];
        }
        match rest.first() {
            None => Some((at, None)),
            Some(name) => Some(self.item(at, name, depth + 1)),
        }
    }

    /// Whether module `at` defines or re-exports `name`.
    fn offers(&self, at: usize, name: &str) -> bool {
        let module = &self.modules[at];
        module.defined.contains(name) || module.uses.iter().any(|u| u.public && u.name == name)
    }

    /// Where `name`, an item of module `at`, is defined: through its re-exports.
    fn item(&self, at: usize, name: &str, depth: usize) -> (usize, Option<String>) {
        let here = (at, Some(name.to_string()));
        let module = &self.modules[at];
        if module.defined.contains(name) {
            return here;
        }
        if let Some(export) = module.uses.iter().find(|u| u.public && u.name == name) {
            return self.resolve(at, &export.path, depth + 1).unwrap_or(here);
        }
        for glob in module.uses.iter().filter(|u| u.public && u.name == "*") {
            if let Some((g, None)) = self.resolve(at, &glob.path, depth + 1) {
                if self.offers(g, name) {
                    return self.item(g, name, depth + 1);
                }
            }
        }
        here
    }

    /// Each module's imports: the module imported and the first path that names it.
    fn imports(&self) -> Vec<BTreeMap<usize, String>> {
        (0..self.modules.len())
            .map(|from| {
                let module = &self.modules[from];
                let uses = module.uses.iter().filter(|u| !u.public && u.name != "*").map(|u| &u.path);
                let mut edges = BTreeMap::new();
                for path in uses.chain(&module.paths) {
                    if let Some((to, _)) = self.resolve(from, path, 0) {
                        // A module's own items, and its ancestors': it is part of them.
                        if !self.within(from, to) {
                            edges.entry(to).or_insert_with(|| path.join("::"));
                        }
                    }
                }
                edges
            })
            .collect()
    }

    /// Whether module `id` is `ancestor` or inside it.
    fn within(&self, mut id: usize, ancestor: usize) -> bool {
        loop {
            if id == ancestor {
                return true;
            }
            match self.modules[id].parent {
                Some(parent) => id = parent,
                None => return false,
            }
        }
    }

    /// The module at `path` of the library (`["http"]`).
    fn lib_module(&self, path: &[&str]) -> usize {
        path.iter().fold(0, |at, name| self.modules[at].children[*name])
    }

    /// The library's modules, core of the plugin, apart from the binary's root.
    fn core(&self) -> impl Iterator<Item = &Module> {
        self.modules.iter().filter(|m| m.krate == Some(Krate::Lib))
    }
}

/// The circles of the import graph, each as the modules around it and the path
/// that makes each step.
fn circles(graph: &Graph, edges: &[BTreeMap<usize, String>]) -> Vec<String> {
    // Tarjan's strongly connected components.
    struct State<'a> {
        edges: &'a [BTreeMap<usize, String>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    fn connect(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in s.edges[v].keys() {
            match s.index[w] {
                None => {
                    connect(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(index) if s.on_stack[w] => s.low[v] = s.low[v].min(index),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            s.components.push(component);
        }
    }
    let n = edges.len();
    let mut state = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        next: 0,
        components: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            connect(&mut state, v);
        }
    }
    let mut found = Vec::new();
    for component in state.components.into_iter().filter(|c| c.len() > 1) {
        // The shortest way round from the component's first module, within it.
        let members: BTreeSet<usize> = component.iter().copied().collect();
        let start = *members.iter().next().expect("a member");
        let mut previous: HashMap<usize, usize> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        'search: while let Some(v) = queue.pop_front() {
            for &w in edges[v].keys().filter(|w| members.contains(w)) {
                if w == start {
                    previous.insert(start, v);
                    break 'search;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = previous.entry(w) {
                    e.insert(v);
                    queue.push_back(w);
                }
            }
        }
        let mut ring = vec![start];
        let mut at = previous[&start];
        while at != start {
            ring.push(at);
            at = previous[&at];
        }
        ring.reverse();
        ring.rotate_right(1);
        let steps: Vec<String> = ring
            .iter()
            .zip(ring.iter().cycle().skip(1))
            .map(|(&a, &b)| format!("{} ({})", graph.modules[a].label, edges[a][&b]))
            .collect();
        let others: Vec<&str> =
            members.iter().filter(|m| !ring.contains(m)).map(|&m| graph.modules[m].label.as_str()).collect();
        let more = if others.is_empty() { String::new() } else { format!(" (in one knot with {})", others.join(", ")) };
        found.push(format!("{} → {}{more}", steps.join(" → "), graph.modules[start].label));
    }
    found
}

/// No module imports another that imports it back, directly or around a loop.
#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = Graph::load();
    let edges = graph.imports();
    let found = circles(&graph, &edges);
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

/// The graph sees imports of every kind: `use`, paths in code and in macros,
/// through a re-export, a parent's item named by a child; a circle is named.
#[test]
fn the_import_graph_sees_each_kind_of_import() {
    let graph = Graph::load();
    let edges = graph.imports();
    let find = |label: &str| {
        graph.modules.iter().position(|m| m.label == label).unwrap_or_else(|| panic!("no module {label}"))
    };
    let imports = |from: &str, to: &str| edges[find(from)].contains_key(&find(to));
    assert!(imports("src/counters/engine.rs", "src/status.rs"), "a use");
    assert!(imports("src/counters/engine.rs", "src/counters/thresholds.rs"), "a sibling through super::");
    assert!(imports("custom/graphapi.rs", "src/http/mod.rs"), "through centreon_plugin::");
    assert!(imports("modes/mail_flow.rs", "custom/mod.rs"), "{:?}", edges[find("modes/mail_flow.rs")]);
    assert!(imports("custom/client.rs", "src/statefile/options.rs"), "Placement, through statefile's re-export");
    assert!(!imports("custom/report.rs", "custom/mod.rs"), "a child naming its parent's items");
    assert!(!imports("src/lib.rs", "src/error.rs"), "a mod declaration is containment");

    // A circle made up from two real modules is found and named.
    let (a, b) = (find("src/number.rs"), find("src/bytes.rs"));
    let mut looped = edges.clone();
    looped[a].insert(b, "crate::bytes::x".into());
    looped[b].insert(a, "crate::number::y".into());
    let found = circles(&graph, &looped);
    assert!(
        found.iter().any(|c| c.contains("src/number.rs (crate::bytes::x) → src/bytes.rs (crate::number::y)")
            || c.contains("src/bytes.rs (crate::number::y) → src/number.rs (crate::bytes::x)")),
        "{found:?}"
    );
}

/// The core never names a mode or Office 365, in its code or its strings: the
/// binary (`src/main.rs`) mounts them on it.
#[test]
fn the_core_never_names_a_mode_or_office_365() {
    let graph = Graph::load();
    let list = Plugin::new().args(["--list-mode"]).run().stdout;
    let modes: Vec<String> = list
        .split("Modes Available:")
        .nth(1)
        .expect("the modes")
        .lines()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect();
    assert!(modes.len() >= 8, "{modes:?}");
    let mut words: Vec<String> =
        ["office365", "office 365", "microsoft", "exchange online", "entra"].map(String::from).into();
    words.extend(modes.iter().flat_map(|m| [m.clone(), m.replace('-', "_")]));
    let mut named = Vec::new();
    for module in graph.core() {
        let texts = module.strings.iter().chain(&module.idents);
        for text in texts {
            let lower = text.to_lowercase();
            if let Some(word) = words.iter().find(|w| lower.contains(w.as_str())) {
                named.push(format!("{}: {text:?} names {word}", module.label));
            }
        }
    }
    assert!(named.is_empty(), "{}", named.join("\n"));
}

/// `custom/` reaches the APIs and hands over what they answer: it never formats the
/// plugin's output (the output stage, the counters) nor prints.
#[test]
fn custom_never_formats_output() {
    let graph = Graph::load();
    let edges = graph.imports();
    let output = [graph.lib_module(&["output"]), graph.lib_module(&["counters"])];
    let mut found = Vec::new();
    for (id, module) in graph.modules.iter().enumerate().filter(|(_, m)| m.area == "custom") {
        for (&to, path) in &edges[id] {
            if output.iter().any(|&o| graph.within(to, o)) {
                found.push(format!("{}: {path}", module.label));
            }
        }
        for path in &module.paths {
            if let [name] = path.as_slice() {
                if ["print", "println", "eprint", "eprintln", "dbg"].contains(&name.as_str()) {
                    found.push(format!("{}: {name}!", module.label));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// `modes/` decides what is checked and asks `custom/` for it: it never builds an
/// HTTP request.
#[test]
fn modes_never_build_an_http_request() {
    let graph = Graph::load();
    let edges = graph.imports();
    let http = graph.lib_module(&["http"]);
    let mut found = Vec::new();
    for (id, module) in graph.modules.iter().enumerate().filter(|(_, m)| m.area == "modes") {
        for (&to, path) in &edges[id] {
            if graph.within(to, http) {
                found.push(format!("{}: {path}", module.label));
            }
        }
        for path in module.paths.iter().filter(|p| p.first().is_some_and(|s| s == "reqwest")) {
            found.push(format!("{}: {}", module.label, path.join("::")));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The Rust files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// No source file is over 1,000 lines: a longer one is split into modules named for
/// what they do.
#[test]
fn no_source_file_is_over_1000_lines() {
    let mut files = Vec::new();
    for dir in ["src", "custom", "modes", "tests", "examples", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "{files:?}");
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).expect("source").lines().count();
            (lines > 1000).then(|| format!("{}: {lines} lines", file.strip_prefix(root()).unwrap_or(file).display()))
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}

/// Every file of `tests/` is compiled: a module of the one test crate, a directory of
/// its helpers, or the mock's program.
#[test]
fn every_test_file_is_a_module_of_the_test_crate() {
    let crate_root = std::fs::read_to_string(root().join("tests/tests.rs")).expect("tests.rs");
    let ast = syn::parse_file(&crate_root).expect("tests.rs parses");
    let declared: BTreeSet<String> = ast
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root().join("tests")).expect("tests/").flatten() {
        let path = entry.path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let is_module = (path.extension().is_some_and(|e| e == "rs") && stem != "tests")
            || (path.is_dir() && path.join("mod.rs").exists());
        if is_module && !declared.contains(&stem) {
            missing.push(path.display().to_string());
        }
    }
    assert!(missing.is_empty(), "not compiled (no `mod` line in tests/tests.rs): {missing:?}");
}

/// Every server the tests talk to is part of the one mock: nothing outside
/// `tests/mock` listens on a socket (the unit tests mount the mock's scripted host).
#[test]
fn every_server_of_the_tests_is_part_of_the_mock() {
    let mut files = Vec::new();
    for dir in ["src", "custom", "modes", "tests", "examples", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mock = root().join("tests/mock");
    // Spelt in two halves, so that this file does not name them itself.
    let listens = [["TcpListener", "::bind"], ["tiny_http", "::Server"], ["UdpSocket", "::bind"]].map(|p| p.concat());
    let found: Vec<String> = files
        .iter()
        .filter(|file| !file.starts_with(&mock))
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).expect("source");
            let label = file.strip_prefix(root()).unwrap_or(file).display().to_string();
            listens.iter().filter(|l| text.contains(l.as_str())).map(|l| format!("{label}: {l}")).collect::<Vec<_>>()
        })
        .collect();
    assert!(found.is_empty(), "servers outside tests/mock:\n{}", found.join("\n"));
}
