/**
 * The sink's status page: one row per table lane this sink owns, refreshed every second from
 * /status. A stalled lane is red, with the reason in words. Plain HTML and a few lines of
 * script, so it works from a port-forward with no build step and no asset to serve. Values are
 * inserted with textContent, never as HTML. A table with a snapshot running shows its progress
 * under its name: rows merged (of the total, when known), rows/s and the ETA.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tablelane sink</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
  #summary { color: #57606a; margin-bottom: 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  th { background: #f6f8fa; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.behind td.lag { color: #9a6700; font-weight: 600; }
  tr.stalled td { background: #ffebe9; }
  tr.stalled td.state { color: #cf222e; font-weight: 600; }
  .failing, .blockers { color: #cf222e; }
  .snapshot { color: #0969da; font-size: .9em; }
</style>
</head>
<body>
<h1>tablelane sink</h1>
<div id="summary">loading…</div>
<table>
  <thead><tr>
    <th>lane</th><th>state</th><th>tables</th><th>lag (messages)</th><th>seconds behind</th><th>rows/s</th>
    <th>buffered</th><th>last commit</th><th>dead letters</th><th>blockers</th>
  </tr></thead>
  <tbody id="lanes"></tbody>
</table>
<script>
function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
}
function snapshotLine(run) {
  const line = document.createElement('div');
  line.className = 'snapshot';
  const rows = run.rowsSeen + (run.total !== null ? ' / ' + run.total : '') + ' rows';
  const eta = run.etaSeconds !== null ? ', ETA ' + Math.ceil(run.etaSeconds) + ' s' : '';
  line.textContent = 'snapshot ' + run.run + ': ' + rows + ', ' + run.rowsPerSecond.toFixed(1) + ' rows/s' + eta +
    ' (since ' + new Date(run.since).toLocaleTimeString() + ')';
  return line;
}
async function refresh() {
  try {
    const status = await (await fetch('status', { cache: 'no-store' })).json();
    const blockedByTable = new Map(status.blocked.map((b) => [b.table, b]));
    const stalled = status.lanes.filter((lane) => lane.state === 'stalled').length;
    document.getElementById('summary').textContent =
      'owner ' + status.owner + ' · generation ' + status.generation + ' · ' +
      (status.consuming ? 'consuming' : 'not consuming') + (status.paused ? ' · paused for memory' : '') +
      ' · ' + status.lanes.length + ' lane(s)' + (stalled ? ' · ' + stalled + ' STALLED' : '') +
      ' · stalled after ' + status.stallThresholdSeconds + ' s without progress · updated ' +
      new Date().toLocaleTimeString();
    const body = document.getElementById('lanes');
    body.replaceChildren();
    for (const lane of status.lanes) {
      const row = document.createElement('tr');
      row.dataset.partition = String(lane.partition);
      if (lane.lagMessages > 0) row.classList.add('behind');
      if (lane.state === 'stalled') row.classList.add('stalled');
      const blockers = lane.tables.flatMap((t) => (blockedByTable.get(t.table) || { blockers: [] }).blockers)
        .map((b) => 'pid ' + b.pid + ' ' + (b.user || '') + ' ' + b.mode + ': ' + (b.query || '')).join('; ');
      cell(row, String(lane.partition));
      cell(row, lane.state === 'stalled' ? 'STALLED: ' + lane.stalledReason : 'ok', 'state');
      const tables = document.createElement('td');
      for (const t of lane.tables) {
        const name = document.createElement('div');
        name.textContent = t.table + (t.failingSince ? ' (failing since ' + new Date(t.failingSince).toLocaleTimeString() + ')' : '');
        if (t.failingSince) name.className = 'failing';
        tables.appendChild(name);
        if (t.snapshot) tables.appendChild(snapshotLine(t.snapshot));
      }
      row.appendChild(tables);
      cell(row, String(lane.lagMessages), 'num lag');
      cell(row, lane.oldestAgeSeconds.toFixed(1), 'num');
      cell(row, lane.rowsPerSecond.toFixed(1), 'num');
      cell(row, String(lane.bufferedRows), 'num');
      cell(row, lane.lastCommitAt ? new Date(lane.lastCommitAt).toLocaleTimeString() : '—');
      cell(row, String(lane.deadLetters), 'num');
      cell(row, blockers || '—', blockers ? 'blockers' : '');
      body.appendChild(row);
    }
  } catch (error) {
    document.getElementById('summary').textContent = 'status unavailable: ' + error;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
