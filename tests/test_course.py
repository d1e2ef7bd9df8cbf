"The course around the notebooks: titles, closing links, committed outputs that match their sources, the README's size, the HTML site."
import json, re, shutil, subprocess, sys
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import course  # noqa: E402


def test_every_notebook_opens_with_a_title_and_a_summary():
    for p in sorted((REPO / "nbs").glob("**/*.ipynb")):
        md = next(c for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "markdown")
        lines = "".join(md["source"]).strip().splitlines()
        assert lines[0].startswith("# "), f"{p.relative_to(REPO)}: first markdown cell opens with {lines[0]!r}, not '# Title'"
        assert any(l.startswith("> ") for l in lines[1:4]), f"{p.relative_to(REPO)}: no '> summary' under the title"


def test_the_project_speaks_of_itself_only():
    "No file of the project refers to the developers' notes outside it or to issue numbers."
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    pattern = re.compile(r"DESIGN\.md|STYLE\.md|\.\./shared/|\bissues? #?\d+", re.I)
    hits = []
    for f in files:
        if f == "tests/test_course.py" or not f.endswith((".py", ".ipynb", ".md", ".toml", ".yaml", ".cfg", ".txt")) or f.startswith("Makefile"):
            continue
        text = (REPO / f).read_text(errors="replace")
        hits += [f"{f}: {m.group(0)!r}" for m in pattern.finditer(text)]
    assert not hits, hits


def test_every_notebook_ends_with_its_link_to_the_next():
    assert course.next_links(check=True) == [], "run `python tools/course.py next-links`"


def test_committed_outputs_match_their_sources():
    why = course.stale()
    assert not why, "committed outputs are stale; run `make outputs`:\n" + "\n".join(why)


def test_stale_outputs_are_detected(tmp_path, monkeypatch):
    "The check itself: a changed notebook, a changed module it imports, a missing record are each reported."
    for rel in course.EXECUTED: (tmp_path / "nbs" / rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy(course.NBS / rel, tmp_path / "nbs" / rel)
    shutil.copy(course.MANIFEST, tmp_path / "nbs" / "outputs.json")
    shutil.copytree(REPO / "lora_mcl", tmp_path / "lora_mcl"); (tmp_path / "results").symlink_to(REPO / "results")
    monkeypatch.setattr(course, "ROOT", tmp_path); monkeypatch.setattr(course, "NBS", tmp_path / "nbs")
    monkeypatch.setattr(course, "MANIFEST", tmp_path / "nbs" / "outputs.json")
    assert course.stale() == []
    with open(tmp_path / "lora_mcl" / "losses.py", "a") as f: f.write("\n# changed\n")
    nb = json.loads((tmp_path / "nbs" / "02_layers.ipynb").read_text())
    next(c for c in nb["cells"] if c["cell_type"] == "code")["source"].append("\n# changed")
    (tmp_path / "nbs" / "02_layers.ipynb").write_text(json.dumps(nb))
    why = "\n".join(course.stale())
    assert "nbs/02_layers.ipynb: the notebook changed" in why, why
    assert "nbs/index.ipynb: lora_mcl/losses.py, which it imports, changed" in why, why
    man = json.loads(course.MANIFEST.read_text()); del man["index.ipynb"]; course.MANIFEST.write_text(json.dumps(man))
    assert "nbs/index.ipynb: never executed" in "\n".join(course.stale())


def test_teaching_notebooks_show_figures():
    for rel in course.EXECUTED:
        cells = json.loads((course.NBS / rel).read_text())["cells"]
        pngs = sum("image/png" in o.get("data", {}) for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
        draws = sum("plt.show()" in "".join(c["source"]) and "widgets.interact" not in "".join(c["source"])   # a widget needs a kernel
                    for c in cells if c["cell_type"] == "code")
        assert pngs >= 1 or draws == 0, f"nbs/{rel}: {draws} cells draw a figure (some conditionally), no figure in its committed outputs"


def test_the_public_api_documents_every_parameter():
    "Every name `lora_mcl` exports documents each of its parameters (docments, or a config field's help)."
    import inspect, lora_mcl
    missing = {}
    for name in lora_mcl.__all__:
        obj = getattr(lora_mcl, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            bare = [k for k, d in course.parameter_docs(obj).items() if not d]
            if bare: missing[name] = bare
    assert not missing, f"parameters without documentation: {missing}"


def test_readme_is_a_front_page():
    size = (REPO / "README.md").stat().st_size
    assert size <= 10 * 1024, f"README.md is {size} bytes; the front page stays within 10 KB (details go to results/ and docs/)"


def test_link_check_finds_broken_links(tmp_path):
    (tmp_path / "a.html").write_text('<a href="b.html#there">b</a> <img src="missing.png"> <a href="https://example.org">x</a>')
    (tmp_path / "b.html").write_text('<h1 id="here">b</h1>')
    broken = course.check_links(tmp_path)
    assert any("missing.png" in b for b in broken) and any("no anchor 'there'" in b for b in broken), broken
    assert len(broken) == 2, broken


def test_the_site_builds_and_every_internal_link_resolves(tmp_path):
    site = course.docs(tmp_path / "site")                   # raises on any broken link
    for rel in course.ORDER: assert (site / "nbs" / rel).with_suffix(".html").is_file(), rel
    for page in ("index.html", "api.html", "README.html", "results/README.html", "docs/guide.html"): assert (site / page).is_file(), page
    api = (site / "api.html").read_text()
    assert "get_mcl_model" in api and "MCLTrainer" in api and "num_hyps" in api
    theory = (site / "nbs" / "theory" / "00_mcl_theory.html").read_text()
    assert "data:image/png;base64" in theory and "nav class=\"site\"" in theory
