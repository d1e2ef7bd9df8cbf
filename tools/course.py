"""The course around the notebooks: the reading order, the link that ends each notebook, the executed outputs of the
teaching notebooks (with a record of what they were made from, so that stale outputs are detected), and the offline
HTML site.

    python tools/course.py next-links [--check]    # write (or check) the "Next" link that ends every notebook
    python tools/course.py outputs [NOTEBOOK ...]  # execute the teaching notebooks in place (`make outputs`)
    python tools/course.py stale                   # which committed outputs no longer match their sources
    python tools/course.py sizes                   # the bytes of committed outputs, per notebook
    python tools/course.py docs [--out _docs]      # the static HTML site (`make docs`), then its link check

Written by hand (it is tooling, not part of the `lora_mcl` package)."""
from __future__ import annotations
import argparse, hashlib, html, inspect, json, os, re, shutil, sys, time
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
MANIFEST = NBS / "outputs.json"                 # what the committed outputs were made from

# The reading path. Learn: the idea, then the library bottom-up, then an experiment. Use: the rest of the library.
# Reproduce: the experiment notebooks. Paths are relative to nbs/.
LEARN = ["index.ipynb", "theory/00_mcl_theory.ipynb", "00_losses.ipynb", "02_layers.ipynb", "04_model.ipynb",
         "06_trainer.ipynb", "09_decoding.ipynb", "experiments/markov.ipynb"]
USE = ["01_config.ipynb", "04a_scoring.ipynb", "10_moe.ipynb", "16_sft.ipynb", "08_metrics.ipynb", "07_runner.ipynb",
       "05_markov.ipynb", "13_captioning.ipynb", "14_audio.ipynb", "15_translation.ipynb", "12_assets.ipynb",
       "11_bench.ipynb", "02a_replay.ipynb", "03_testing.ipynb", "00a_extras.ipynb"]
REPRODUCE = ["experiments/emergence.ipynb", "experiments/quality_diversity.ipynb", "experiments/hf_finetune.ipynb",
             "experiments/sft_languages.ipynb", "experiments/captioning.ipynb", "experiments/translation.ipynb"]
RESULTS = ["results/markov.ipynb", "results/beyond_the_paper.ipynb", "results/image_captioning.ipynb", "results/bilingual.ipynb",
           "results/audio.ipynb", "results/trl_languages.ipynb", "results/speed.ipynb"]   # read results/, run nothing
ORDER = LEARN + USE + REPRODUCE + RESULTS
EXECUTED = LEARN + RESULTS                       # committed with their outputs (figures included)
NEXT_ID = "next-link"                            # the id of the cell that ends each notebook with its link
PAGES = ["README.md", "docs/guide.md", "results/README.md"]   # markdown pages of the site besides the notebooks


def _load(path: Path) -> dict: return json.loads(Path(path).read_text())

def _save(path: Path, nb: dict):
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")

def title(rel: str) -> str:
    "The `# Title` of a notebook (its first markdown cell)."
    for c in _load(NBS / rel)["cells"]:
        if c["cell_type"] == "markdown":
            first = "".join(c["source"]).strip().splitlines()[0]
            if not first.startswith("# "): raise ValueError(f"nbs/{rel}: its first markdown cell must open with '# Title'")
            return first[2:].strip()
    raise ValueError(f"nbs/{rel}: no markdown cell, so no title")

def _rel(src: str, dst: str) -> str: return os.path.relpath(NBS / dst, (NBS / src).parent)

def next_link_text(rel: str) -> str:
    i = ORDER.index(rel)
    section = lambda r: "Learn" if r in LEARN else "Use" if r in USE else "Reproduce" if r in REPRODUCE else "Results"
    if i + 1 < len(ORDER):
        nxt = ORDER[i + 1]
        return f"**Next** ({section(nxt).lower()}): [{title(nxt)}]({_rel(rel, nxt)}) · [the reading path]({_rel(rel, 'index.ipynb')})"
    return f"This is the last notebook of the reading path: back to [the start]({_rel(rel, 'index.ipynb')})."

def next_links(check: bool = False) -> list[str]:
    "Write the cell that ends every notebook with a link to the next one; with check, only list the notebooks that lack it."
    wrong = []
    missing = sorted(str(p.relative_to(NBS)) for p in NBS.glob("**/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    missing = [m for m in missing if m not in ORDER]
    if missing: raise ValueError(f"notebooks not in the reading order (tools/course.py ORDER): {missing}")
    for rel in ORDER:
        nb = _load(NBS / rel)
        text = next_link_text(rel)
        cells = [c for c in nb["cells"] if c.get("id") != NEXT_ID]
        want = cells + [{"cell_type": "markdown", "id": NEXT_ID, "metadata": {}, "source": text.splitlines(True)}]
        if nb["cells"] != want:
            wrong.append(rel)
            if not check: nb["cells"] = want; _save(NBS / rel, nb)
    return wrong


# ---------------------------------------------------------------- executed outputs and their record
def _sha(data: bytes) -> str: return hashlib.sha256(data).hexdigest()[:16]

def source_hash(rel: str) -> str:
    "A hash of what a notebook runs: its code cells' sources, in order (prose, outputs and metadata do not change the outputs)."
    cells = ["".join(c["source"]) for c in _load(NBS / rel)["cells"] if c["cell_type"] == "code"]
    return _sha(json.dumps(cells).encode())

def module_hashes(modules) -> dict:
    return {m: _sha((ROOT / m).read_bytes()) if (ROOT / m).is_file() else None for m in sorted(modules)}

_MODULES_CELL = ("import sys as _s, json as _j\n"
                 "print(_j.dumps(sorted(getattr(m, '__file__', None) or '' for n, m in list(_s.modules.items())"
                 " if n == 'lora_mcl' or n.startswith('lora_mcl.'))))")

def _execute(rel: str, timeout: int = 1200) -> tuple[str, dict, float]:
    "Execute one notebook in its folder; return (rel, the notebook with outputs, seconds). Runs in a worker process."
    import nbformat
    from nbclient import NotebookClient
    from lora_mcl.runner import local_kernel_manager                   # the runner's: IPC sockets, no TCP port
    path = NBS / rel
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_MODULES_CELL))
    t0 = time.time()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", kernel_manager_class=local_kernel_manager(),
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.time() - t0
    probe = nb.cells.pop()
    files = json.loads("".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout"))
    modules = sorted(os.path.relpath(f, ROOT) for f in files if f and Path(f).resolve().is_relative_to(ROOT))
    return rel, {"nb": nb, "modules": modules}, seconds

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")         # terminal colour codes

def _clean_outputs(rel: str, nb) -> list[str]:
    "Keep what a reader should see: drop stderr (warnings, progress bars) and execution metadata; refuse machine paths."
    problems, here = [], [str(ROOT), str(Path.home()), "/tmp/"]
    nb.metadata.pop("widgets", None)                          # widget state: random ids, and nothing a static reader can see
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code": continue
        c.metadata.pop("execution", None)
        kept = []
        for o in c.outputs:
            if o.output_type == "stream" and o.name == "stderr": continue
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {}): continue
            if o.output_type == "stream" and kept and kept[-1].output_type == "stream" and kept[-1].name == o.name:
                kept[-1].text += o.text; continue                 # one block per stream, however the kernel flushed it
            kept.append(o)
        c.outputs = kept
        for o in c.outputs:
            if o.output_type == "stream": o.text = _ANSI.sub("", o.text)
            text = json.dumps({k: v for k, v in o.items() if k != "data"}) + json.dumps(o.get("data", {}).get("text/plain", ""))
            for h in here:
                if h in text: problems.append(f"nbs/{rel}, code cell {i}: its output names a path of this machine ({h})")
    return problems

_FIGURE = re.compile(r"^# figure: (\S+)")

def export_figures(nb) -> list[str]:
    "A code cell that opens with `# figure: PATH` has its figure written to PATH (relative to the repository): the README's pictures."
    import base64
    written = []
    for c in nb.cells:
        m = _FIGURE.match(c.source) if c.cell_type == "code" else None
        if not m: continue
        png = next((o["data"]["image/png"] for o in c.outputs if "image/png" in o.get("data", {})), None)
        if png is None: raise RuntimeError(f"a cell marked '# figure: {m.group(1)}' drew no figure")
        (ROOT / m.group(1)).parent.mkdir(parents=True, exist_ok=True)
        (ROOT / m.group(1)).write_bytes(base64.b64decode(png)); written.append(m.group(1))
    return written

_DATA = (".json", ".png", ".csv", ".jsonl")                 # what a results page reads (not the READMEs, configs or scripts)

def results_files(rel: str) -> list[str]:
    "The committed result files a notebook reads: every file under each `results/<experiment>/` folder its source names."
    text = "".join("".join(c["source"]) for c in _load(NBS / rel)["cells"] if c["cell_type"] == "code")
    dirs = sorted(d.name for d in (ROOT / "results").iterdir() if d.is_dir() and (f"results/{d.name}/" in text or f'"{d.name}"' in text))
    return [str(p.relative_to(ROOT)) for d in dirs if (ROOT / "results" / d).is_dir()
            for p in sorted((ROOT / "results" / d).rglob("*")) if p.is_file() and p.suffix in _DATA]

def outputs(notebooks=None, workers: int = 2) -> dict:
    "Execute the teaching notebooks in place (one thread each, `workers` at a time) and record what they were made from."
    notebooks = list(notebooks or EXECUTED)
    bad = [n for n in notebooks if n not in EXECUTED]
    if bad: raise ValueError(f"{bad}: not teaching notebooks; the notebooks committed with outputs are {EXECUTED}")
    import nbformat
    env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "TQDM_DISABLE": "1", "TOKENIZERS_PARALLELISM": "false"}
    os.environ.update(env)                                  # inherited by the kernels: one thread each, the same results on any machine
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
    import multiprocessing
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:   # fork breaks the kernels' IPC
        for rel, res, seconds in pool.map(_execute, notebooks):
            nb = res["nb"]
            problems = _clean_outputs(rel, nb)
            if problems: raise RuntimeError("\n".join(problems))
            nbformat.write(nb, NBS / rel)
            for path in export_figures(nb): print(f"  wrote {path} from its figure cell")
            manifest[rel] = {"source": source_hash(rel), "modules": module_hashes(res["modules"] + results_files(rel)),
                             "seconds": round(seconds, 1)}
            MANIFEST.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")    # after each: a later failure keeps this one
            print(f"executed nbs/{rel} in {seconds:.0f} s ({len(res['modules'])} lora_mcl modules)", flush=True)
    return manifest

def stale() -> list[str]:
    "Why committed outputs are stale: a teaching notebook, or a module it imports, changed since `make outputs`; or outputs are missing."
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
    why = []
    for rel in EXECUTED:
        rec = manifest.get(rel)
        if rec is None: why.append(f"nbs/{rel}: never executed by `make outputs`"); continue
        if rec["source"] != source_hash(rel): why.append(f"nbs/{rel}: the notebook changed after its outputs were made")
        for m, h in module_hashes(rec["modules"]).items():
            if h != rec["modules"][m]: why.append(f"nbs/{rel}: {m}, which it {'reads' if m.startswith('results/') else 'imports'}, changed after its outputs were made")
    return why

def outputs_size() -> dict:
    "Bytes of committed outputs per notebook (the JSON of every code cell's outputs)."
    return {rel: sum(len(json.dumps(c.get("outputs", []))) for c in _load(NBS / rel)["cells"] if c["cell_type"] == "code")
            for rel in ORDER}


# ---------------------------------------------------------------- the HTML site
_CSS = """
body { margin: 0; }
nav.site { position: fixed; top: 0; left: 0; bottom: 0; width: 250px; overflow-y: auto; padding: 12px 14px;
           background: #f6f7f9; border-right: 1px solid #dde; font: 13px/1.45 system-ui, sans-serif; box-sizing: border-box; }
nav.site h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #667; margin: 14px 0 4px; }
nav.site a { display: block; color: #234; text-decoration: none; padding: 1px 0; }
nav.site a.here { font-weight: 600; color: #a40; }
nav.site .home { font-size: 16px; font-weight: 700; }
main.page { margin-left: 262px; padding: 0 16px 40px; max-width: 1100px; }
main.page.md { font: 15px/1.55 system-ui, sans-serif; }
main.page pre { background: #f6f7f9; padding: 8px; overflow-x: auto; }
main.page table { border-collapse: collapse; } main.page td, main.page th { border: 1px solid #ccd; padding: 2px 6px; }
.api h3 { font-family: monospace; margin-bottom: 2px; } .api .sig { font-family: monospace; white-space: pre-wrap; color: #333; }
.api table { margin: 4px 0 14px; font-size: 13px; }
"""

def _page_of(repo_rel: str) -> str:
    "Where a repository file is in the site: notebooks and markdown become .html at the same relative place."
    p = Path(repo_rel)
    return str(p.with_suffix(".html")) if p.suffix in (".ipynb", ".md") else str(p)

def _nav(here: str) -> str:
    "The navigation column of a page whose site path is `here`."
    up = lambda target: html.escape(os.path.relpath(target, Path(here).parent))
    link = lambda target, text: f'<a href="{up(target)}"{" class=here" if target == here else ""}>{html.escape(text)}</a>'
    parts = [f'<a class="home" href="{up("index.html")}">lora_mcl</a>']
    for name, group in (("Learn", LEARN), ("Use", USE), ("Reproduce", REPRODUCE), ("Results", RESULTS)):
        parts.append(f"<h2>{name}</h2>")
        parts += [link("nbs/" + _page_of(r), title(r)) for r in group]
    parts += ["<h2>Reference</h2>", link("api.html", "API reference"), link("docs/guide.html", "The guide"),
              link("results/README.html", "All results and run logs"), link("README.html", "README")]
    return '<nav class="site">' + "\n".join(parts) + "</nav>"

_LINK = re.compile(r'(href|src)="([^"]+)"')

def _rewrite_links(page_html: str, repo_rel: str, site: Path, copied: set) -> str:
    "Links to notebooks and markdown go to their pages; links to other repository files copy the file into the site."
    def fix(m):
        attr, url = m.group(1), m.group(2)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(("#", "data:", "mailto:")) or not parts.path: return m.group(0)
        target = os.path.normpath(Path(repo_rel).parent / unquote(parts.path))
        if Path(target).suffix in (".ipynb", ".md"):
            new = os.path.relpath(_page_of(target), Path(repo_rel).parent)
            return f'{attr}="{html.escape(new)}{"#" + parts.fragment if parts.fragment else ""}"'
        src = ROOT / target
        if src.is_file() and src.stat().st_size < 5_000_000 and target not in copied:
            (site / target).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(src, site / target); copied.add(target)
        return m.group(0)
    return _LINK.sub(fix, page_html)

def _wrap(body: str, here: str, page_title: str, head: str = "", md: bool = False) -> str:
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(page_title)} · lora_mcl</title>{head}"
            f"<style>{_CSS}</style></head><body>{_nav(here)}<main class='page{' md' if md else ''}'>{body}</main></body></html>\n")

def _notebook_page(rel: str, site: Path, copied: set) -> str:
    import nbformat
    from nbconvert import HTMLExporter
    here = "nbs/" + _page_of(rel)
    mathjax = os.path.relpath("mathjax/MathJax.js", Path(here).parent) + "?config=TeX-AMS-MML_HTMLorMML-full,Safe"
    exp = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True, mathjax_url=mathjax)
    nb = nbformat.read(NBS / rel, as_version=4)
    cells = []
    for c in nb.cells:                                     # nbdev directives are for the exporter, not the reader
        if c.cell_type == "code":
            if any(l.strip() in ("#| hide", "#|hide") for l in c.source.splitlines()): continue
            c.source = "\n".join(l for l in c.source.splitlines() if not l.startswith("#|")).strip("\n")
            if not c.source.strip() and not c.get("outputs"): continue
        cells.append(c)
    first_md = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), 0)
    nb.cells = [cells[first_md]] + cells[:first_md] + cells[first_md + 1:]      # the title first (nbdev puts imports above it)
    body, _ = exp.from_notebook_node(nb)
    head_end, body_start = body.index("</head>"), body.index("<body")
    body_open_end = body.index(">", body_start) + 1
    head = body[body.index("<head>") + 6:head_end]
    head = re.sub(r"<title>.*?</title>", "", head, flags=re.S)
    inner = body[body_open_end:body.rindex("</body>")]
    return _rewrite_links(_wrap(inner, here, title(rel), head), "nbs/" + rel, site, copied)

def _markdown_page(repo_rel: str, site: Path, copied: set) -> str:
    import mistune
    text = (ROOT / repo_rel).read_text()
    body = mistune.html(text)
    first = next((l[2:] for l in text.splitlines() if l.startswith("# ")), repo_rel)
    return _rewrite_links(_wrap(body, _page_of(repo_rel), first, md=True), repo_rel, site, copied)

def parameter_docs(obj) -> dict:
    "{parameter: its documentation or None} of a function or class: docments (comments beside the parameters), or a dataclass field's `help`."
    if inspect.isclass(obj) and issubclass(obj, BaseException): return {}
    import dataclasses
    from fastcore.docments import docments
    try: docs = {k: v.get("docment") for k, v in docments(obj, full=True).items() if k not in ("return", "self")}
    except Exception: docs = {}
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): sig = None            # builtin-based classes (exceptions)
    var = {n for n, p in (sig.parameters.items() if sig else []) if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    docs = {k: v for k, v in docs.items() if k not in var}
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj):       # a config: its own fields, documented by `help`
        own = set(vars(obj).get("__annotations__", {}))
        docs = {f.name: docs.get(f.name) or f.metadata.get("help") for f in dataclasses.fields(obj) if f.name in own}
    return docs

def _api_page() -> str:
    "Every public name of every exported module: its signature, its docstring, and its parameters' documentation (docments)."
    import importlib
    modidx = importlib.import_module("lora_mcl._modidx").d["syms"]
    out = ["<h1>API reference</h1><p>Every function and class the notebooks export, module by module, with the notebook "
           "that defines it. Parameters are documented where they are declared (docments).</p>"]
    for mod in sorted(modidx):
        m = importlib.import_module(mod)
        names = getattr(m, "__all__", None) or [n.split(".")[-1] for n in modidx[mod] if n.count(".") == 2]
        src = (ROOT / (mod.replace(".", "/") + ".py")).read_text()
        nb = re.search(r"File to edit: \.\./nbs/(\S+\.ipynb)", src)
        nb_link = f' — from <a href="{_page_of("nbs/" + nb.group(1))}">{html.escape(title(nb.group(1)))}</a>' if nb else ""
        out.append(f"<h2 id='{mod}'>{mod}</h2><p>{html.escape((m.__doc__ or '').strip())}{nb_link}</p>")
        for name in names:
            obj = getattr(m, name, None)
            if obj is None or not (inspect.isfunction(obj) or inspect.isclass(obj)): continue
            try: sig = str(inspect.signature(obj))
            except (TypeError, ValueError): sig = "(...)"
            out.append(f"<div class='api'><h3 id='{mod}.{name}'>{name}</h3><div class='sig'>{html.escape(name + sig)}</div>"
                       f"<p>{html.escape(inspect.getdoc(obj) or '')}</p>")
            rows = {k: d for k, d in parameter_docs(obj).items() if d}
            if rows:
                out.append("<table><tr><th>parameter</th><th>documentation</th></tr>" + "".join(
                    f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(d or '')}</td></tr>" for k, d in rows.items()) + "</table>")
            out.append("</div>")
    return "\n".join(out)

def docs(out: Path = ROOT / "_docs") -> Path:
    "Build the static site from the notebooks as they are (committed outputs included) and the markdown pages; then check its links."
    out = Path(out)
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    copied: set = set()
    t0 = time.time()
    try: import jupyter_server_mathjax
    except ImportError: raise ImportError("the site renders math with a local MathJax: pip install jupyter-server-mathjax (in the dev extra)") from None
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", out / "mathjax")
    for rel in ORDER:
        page = out / "nbs" / _page_of(rel)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(_notebook_page(rel, out, copied))
    for rel in PAGES + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "results").glob("*/README.md")):
        page = out / _page_of(rel)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(_markdown_page(rel, out, copied))
    (out / "api.html").write_text(_wrap(_api_page(), "api.html", "API reference", md=True))
    groups = [("Learn", "read in this order: the idea, the library bottom-up, one experiment", LEARN),
              ("Use", "the rest of the library, what you call when you wrap your own model", USE),
              ("Reproduce", "the experiment notebooks (papermill), run alone or as sweeps", REPRODUCE),
              ("Results", "what was measured: tables over seeds, figures, the command of every row, a reading", RESULTS)]
    idx = ["<h1>lora_mcl</h1><p>LoRA-MCL: K LoRA adapters on one frozen Hugging Face model, trained winner-takes-all, so that "
           "each adapter specialises on one mode of an ambiguous target. The notebooks are the source and read as a course.</p>"]
    if (ROOT / "docs/images/idea.png").is_file():
        shutil.copy2(ROOT / "docs/images/idea.png", out / "idea.png")
        idx.append("<p><img src='idea.png' alt='MLE averages the modes; winner-takes-all sends one hypothesis to each' style='max-width:100%'></p>")
    for name, what, group in groups:
        idx.append(f"<h2>{name}</h2><p>{what}</p><ol>" + "".join(
            f"<li><a href='nbs/{_page_of(r)}'>{html.escape(title(r))}</a></li>" for r in group) + "</ol>")
    idx.append("<h2>Reference</h2><ul><li><a href='api.html'>API reference</a></li><li><a href='docs/guide.html'>The guide</a></li>"
               "<li><a href='results/README.html'>Results</a></li><li><a href='README.html'>README</a></li></ul>")
    (out / "index.html").write_text(_wrap("\n".join(idx), "index.html", "lora_mcl", md=True))
    broken = check_links(out)
    print(f"site: {len(list(out.glob('**/*.html')))} pages in {out} ({time.time() - t0:.0f} s); {len(broken)} broken links")
    if broken: raise RuntimeError("broken links in the site:\n" + "\n".join(broken))
    return out

class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(); self.refs, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"): self.ids.add(a["id"])
        if tag == "a" and a.get("name"): self.ids.add(a["name"])
        for k in ("href", "src"):
            if a.get(k) and not (tag == "link" and k == "href" and "stylesheet" not in (a.get("rel") or "")): self.refs.append(a[k])

def check_links(site: Path) -> list[str]:
    "Every internal link and image of every page resolves to a file of the site (and an anchor of that page, where it names one)."
    site, parsed, broken = Path(site).resolve(), {}, []
    def parse(p: Path):
        if p not in parsed:
            r = _Refs(); r.feed(p.read_text(errors="replace")); parsed[p] = r
        return parsed[p]
    for page in sorted(site.glob("**/*.html")):
        for url in parse(page).refs:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("data:", "mailto:", "javascript:")): continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
            where = f"{page.relative_to(site)}: {url}"
            if not target.is_relative_to(site): broken.append(f"{where} (outside the site)"); continue
            if not target.is_file(): broken.append(f"{where} (no such file)"); continue
            ids = parse(target).ids if target.suffix == ".html" else set()
            if parts.fragment and target.suffix == ".html" and parts.fragment not in ids and unquote(parts.fragment) not in ids:
                broken.append(f"{where} (no anchor {parts.fragment!r})")
    return broken


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="tools/course.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("next-links"); n.add_argument("--check", action="store_true")
    o = sub.add_parser("outputs"); o.add_argument("notebooks", nargs="*", help=f"default: all of {EXECUTED}")
    sub.add_parser("stale"); sub.add_parser("sizes")
    d = sub.add_parser("docs"); d.add_argument("--out", default=str(ROOT / "_docs"))
    a = ap.parse_args(argv)
    if a.cmd == "next-links":
        wrong = next_links(check=a.check)
        if a.check and wrong: print("notebooks whose closing link is missing or stale (python tools/course.py next-links):", *wrong, sep="\n  "); return 1
        if not a.check: print(f"closing links written in {len(wrong)} notebook(s)")
        return 0
    if a.cmd == "outputs": outputs(a.notebooks); return 0
    if a.cmd == "stale":
        why = stale()
        print("\n".join(why) if why else "committed outputs are current"); return int(bool(why))
    if a.cmd == "sizes":
        sizes = outputs_size()
        for k, v in sizes.items(): print(f"{v / 1024:8.1f} KB  nbs/{k}")
        print(f"{sum(sizes.values()) / 1024:8.1f} KB  in all"); return 0
    docs(Path(a.out)); return 0

if __name__ == "__main__":
    sys.exit(main())
