"""Print the short result table of a Markov-mixture run: `python experiments/markov_table.py RUN_DIR`."""
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
m = json.loads((out / "metrics.json").read_text())
ex, mcl, mle = m["exact"], m["mcl"], m.get("mle")
print(f"\n{'':30s}{'test loss':>10s}{'exact optimum':>15s}{'gap':>8s}{'matrix error':>14s}")
if mle:
    print(f"{'MLE (1 adapter) vs avg matrix':30s}{mle['test_loss']:10.4f}{ex['mle_entropy']:15.4f}{mle['loss_rel_gap']:8.2%}{mle['max_error_vs_average']:14.4f}")
print(f"{'MCL (K=%d, %s) vs chains' % (mcl['num_hyps'], mcl['wta_mode']):30s}{mcl['test_oracle_loss']:10.4f}{ex['oracle_entropy']:15.4f}"
      f"{mcl['oracle_loss_rel_gap']:8.2%}{mcl['recovery_max_error']:14.4f}")
print(f"\nexact optima: H(x|c) = {ex['mle_entropy']:.4f} (MLE), H(x|c,z) = {ex['oracle_entropy']:.4f} (oracle); "
      f"MCL win rates {[round(w, 3) for w in mcl['test_win_rates']]}")
print(f"figures: {out / 'losses.png'}, {out / 'matrices.png'}, {out / 'win_rates.png'}; executed notebook and metrics.json in {out}/")
