#!/bin/sh
# check_report.sh - render `uh report --format html` over a database holding
# imported official runs and a run whose texts are hostile, open it in
# headless Chromium from file:// and check what the browser built:
#
#   - the page's own script ran (data-ok="1"), the leaderboard tables, the
#     SVG plot and its retain/full reference points are there;
#   - the hostile strings are inert text: the DOM has no element made from
#     them (no <img>, one <script>: the page's), and window.__pwned is never
#     set, also in a copy of the page with its Content-Security-Policy
#     removed (so escaping alone is tested, not only the CSP);
#   - a screenshot is kept next to uh (build/report.png).
#
# usage: tests/browser/check_report.sh [PATH/TO/uh]   (default build/uh)
# Installs chromium and sqlite3 with apt-get when missing (sudo when not root).
# Environment: UH_SHARED (default ../shared), KEEP=1 keeps the work folder.
set -eu

UH=${1:-build/uh}
SHARED=${UH_SHARED:-../shared}
OUTDIR=$(cd "$(dirname "$UH")" && pwd)
UH=$OUTDIR/$(basename "$UH")
[ -x "$UH" ] || { echo "check_report: no uh at $UH" >&2; exit 2; }
LOGS=$SHARED/data/tofu-logs
[ -d "$LOGS" ] || { echo "check_report: no TOFU logs at $LOGS (set UH_SHARED)" >&2; exit 2; }

need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v sqlite3 >/dev/null 2>&1 || need="$need sqlite3"
if [ -n "$need" ]; then
	sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
	echo "check_report: installing$need"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need >/dev/null
fi

WORK=$(mktemp -d)
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "check_report: kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
DB=$WORK/uh.db
fail=0
check() { # check DESCRIPTION COMMAND...
	desc=$1; shift
	if "$@"; then echo "ok   $desc"; else echo "FAIL $desc"; fail=1; fi
}

# 1. the database: two official runs and a hostile one
"$UH" import tofu-logs "$LOGS/tofu-llama2-7b_full_wd0.01" \
	--reference "$LOGS/tofu-llama2-7b_retain90_wd0.01" --db "$DB" >/dev/null
"$UH" import tofu-logs "$LOGS/tofu-llama2-7b_retain90_wd0.01" \
	--reference "$LOGS/tofu-llama2-7b_retain90_wd0.01" --db "$DB" >/dev/null
sqlite3 "$DB" <<'SQL'
BEGIN;
INSERT INTO runs (created, finished, status, suite, split, profile, model, backend, tag,
                  uh_version, source)
VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        'complete', 'tofu', 'forget10', 'tofu',
        'evil<script>window.__pwned=3</script>"><svg onload="window.__pwned=4">',
        'null', '=HYPERLINK("http://x","y")', 'test', 'run');
INSERT INTO items (run_id, task, idx, question, reference, generation, values_json)
VALUES (last_insert_rowid(), 'forget', 0, 'Who? <b>bold</b> & "quotes" ''single''',
        'ref', '<script>window.__pwned=1</script>', '{"truth_ratio": 0.5, "x<y>": "<i>"}');
INSERT INTO items (run_id, task, idx, question, reference, generation, values_json)
VALUES ((SELECT max(id) FROM runs), 'forget', 1, 'q2', 'ref',
        '<img src=x onerror="window.__pwned=2">', '{"truth_ratio": 0.7}');
INSERT INTO metrics (run_id, name, value, ci_lo, ci_hi, n)
VALUES ((SELECT max(id) FROM runs), 'forget_quality', 0.2, NULL, NULL, 2),
       ((SELECT max(id) FROM runs), 'model_utility', 0.55, 0.5, 0.6, 9);
COMMIT;
SQL

# 2. the report
"$UH" report --db "$DB" --format html -o "$WORK/report.html" --item-runs 5

# 3. the browser
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$WORK/profile.XXXXXX")" "$@" 2>>"$WORK/chromium.log"
}
chrome --virtual-time-budget=3000 --dump-dom "file://$WORK/report.html" >"$WORK/dom.html"
chrome --virtual-time-budget=3000 --screenshot="$OUTDIR/report.png" --window-size=1400,1000 \
	"file://$WORK/report.html" >/dev/null

# The same page without its CSP, plus an observer that records window.__pwned
# after the load event (an image's onerror has fired by then).
sed -e '/Content-Security-Policy/d' \
	-e 's#</body>#<script>addEventListener("load",function(){setTimeout(function(){document.body.dataset.pwned=String(window.__pwned)},100)})</script></body>#' \
	"$WORK/report.html" >"$WORK/nocsp.html"
chrome --virtual-time-budget=3000 --dump-dom "file://$WORK/nocsp.html" >"$WORK/nocsp-dom.html"
# Control: the same page with the payloads unescaped, as a broken escaper
# would write it, must trip both detectors (else they prove nothing).
sed -e 's#&lt;script&gt;window.__pwned=1&lt;/script&gt;#<script>window.__pwned=1</script>#' \
	-e 's#&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;#<img src=x onerror="window.__pwned=2">#' \
	"$WORK/nocsp.html" >"$WORK/control.html"
chrome --virtual-time-budget=3000 --dump-dom "file://$WORK/control.html" >"$WORK/control-dom.html"

# 4. what the browser built
DOM=$WORK/dom.html
has() { grep -qF -- "$2" "$1"; }
hasnt() { ! grep -qF -- "$2" "$1"; }
count() { grep -oF -- "$2" "$1" | wc -l; }
check "the page's own script ran (data-ok=\"1\")" has "$DOM" 'data-ok="1"'
check "leaderboard table" has "$DOM" '<table class="board sortable">'
check "TOFU columns" has "$DOM" '<th>Forget Quality</th><th>Model Utility</th>'
check "SVG plot" has "$DOM" '<svg class="plot"'
check "retain reference point" has "$DOM" 'class="pt ref-retain"'
check "full reference point" has "$DOM" 'class="pt ref-full"'
check "per-item section of a run" has "$DOM" '<details id="run-3">'
check "script payload shown as text" has "$DOM" '&lt;script&gt;window.__pwned=1&lt;/script&gt;'
check "img payload shown as text" has "$DOM" '&lt;img src=x onerror="window.__pwned=2"&gt;'
check "attribute-breaking model name shown as text" has "$DOM" '"&gt;&lt;svg onload="window.__pwned=4"&gt;'
check "no <img> element" hasnt "$DOM" '<img'
check "one <script> element (the page's)" test "$(count "$DOM" '<script')" = 1
check "no element with an onerror/onload attribute" sh -c "! grep -qE '<[a-z]+ [^>]*on(error|load)=' '$DOM'"
check "no <b>/<i> element from data" sh -c "! grep -qE '<b>bold|<i>' '$DOM'"
check "window.__pwned not set (CSP on)" hasnt "$DOM" 'data-pwned'
check "without the CSP too: the page's script ran" has "$WORK/nocsp-dom.html" 'data-ok="1"'
check "without the CSP too: window.__pwned never set" has "$WORK/nocsp-dom.html" 'data-pwned="undefined"'
check "control: unescaped payloads do run (the detector works)" \
	sh -c "grep -qE 'data-pwned=\"[12]\"' '$WORK/control-dom.html'"
check "control: and leave elements in the DOM" has "$WORK/control-dom.html" '<img src="x" onerror='
check "screenshot written" test -s "$OUTDIR/report.png"

if [ $fail = 0 ]; then
	echo "check_report: PASS (screenshot: $OUTDIR/report.png)"
else
	echo "check_report: FAILED (KEEP=1 keeps $WORK)"
	exit 1
fi
