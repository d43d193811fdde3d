#!/usr/bin/python3
"""Check an HTML report of netpol-record in headless Chromium.

    report_page.py [--shots DIR] [--name NAME] [--widths 1024,1400,1920]
                   [--expect-graph workloads|namespaces|none] REPORT.html

Drives Chromium through its DevTools protocol over a pipe
(--remote-debugging-pipe: JSON messages ending in NUL on file descriptors
3 and 4), with nothing but Python's standard library. For each width it
loads the report, writes a screenshot DIR/NAME-WIDTH.png for a person to
look at, and asserts from the rendered page:

  - no console message and no uncaught exception;
  - no edge of the drawing passes through a node box other than its two
    ends (points every 2.5 units along each edge path, getPointAtLength,
    tested against every box shrunk by 1), and every edge label lies
    outside every box; node labels fit in their boxes (measured once, at
    the first width: the drawing's own units do not change with it);
  - the Verdict column of each table that has one is visible (not cut off
    by the window or its scroll box);
  - a real mouse click on an edge opens the details panel listing exactly
    that edge's rows of the flows table; a click on a node shows its
    arrows; the filters dim edges and hide rows;
  - the page requests nothing but itself (the Network domain's requests;
    name resolution is broken on purpose as well).

Exit status 0 when every check passed, 1 otherwise (each failure printed).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TIMEOUT = 60.0


class Browser:
    """One headless Chromium, spoken to over the DevTools pipe."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="npr-chromium.")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # Through fresh copies: a pipe end may already be 3 or 4.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run",
             "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--host-resolver-rules=MAP * ~NOTFOUND",
             "--hide-scrollbars", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "about:blank"],
            close_fds=False, preexec_fn=child_fds,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        # The pipes are close-on-exec; the child's dup2 copies on 3 and 4
        # are not (and close_fds=False leaves them, as Popen would close
        # every descriptor past 2 only after preexec_fn).
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method):
        deadline = time.monotonic() + TIMEOUT
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                del self.events[i]
                return m
        while True:
            m = self._read(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def open_page(self):
        t = self.call("Target.createTarget", {"url": "about:blank"},
                      session=False)
        a = self.call("Target.attachToTarget",
                      {"targetId": t["targetId"], "flatten": True},
                      session=False)
        self.session = a["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")

    def pump(self):
        """Answer intercepted requests; collect what the page said."""
        problems = []
        rest = []
        for m in self.events:
            meth = m.get("method")
            p = m.get("params", {})
            if meth == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if url != self.url and not url.startswith("data:"):
                    problems.append("the page requested " + url)
            elif meth == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                problems.append("uncaught: %s %s" % (
                    d.get("text"), d.get("exception", {}).get(
                        "description", "")))
            elif meth == "Runtime.consoleAPICalled":
                problems.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description")))
                    for a in p["args"])))
            elif meth == "Log.entryAdded":
                problems.append("log: %s" % p["entry"]["text"])
            else:
                rest.append(m)
        self.events = rest
        return problems

    def load(self, url, width, height):
        self.url = url
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height,
                   "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + TIMEOUT
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("the page did not load")
            m = self._read(deadline)
            if m.get("method") == "Page.loadEventFired":
                break
            self.events.append(m)

    def js(self, expr):
        r = self.call("Runtime.evaluate",
                      {"expression": expr, "returnByValue": True,
                       "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("script failed: %s" %
                               r["exceptionDetails"].get("exception", {})
                               .get("description", r["exceptionDetails"]))
        return r["result"].get("value")

    def click(self, x, y):
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent",
                      {"type": t, "x": x, "y": y, "button": "left",
                       "clickCount": 1})

    def screenshot(self, path):
        import base64
        r = self.call("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))


# The geometry of the drawing, in the SVG's own units (all of Graphviz's
# shapes sit in one transformed group, so boxes and paths compare as is).
GEOMETRY = r"""
(function(){
var svg=document.getElementById('topology');
if(!svg)return {graph:false};
var EPS=1.0, out={graph:true,nodes:0,edges:0,crossings:[],labels:[],
  nodetext:[]};
var boxes={};
// A text's box: its horizontal extent as laid out, and vertically the
// font's usual ascent and descent around the baseline (getBBox's height
// is the whole line box, about twice the font size in Chromium).
function tbox(t){var b=t.getBBox(),y=parseFloat(t.getAttribute('y')),
  fs=parseFloat(t.getAttribute('font-size'))||10;
  return {x:b.x,y:y-0.75*fs,width:b.width,height:0.95*fs};}
svg.querySelectorAll('g.node').forEach(function(n){
  var s=n.querySelector('path,polygon,ellipse');if(!s)return;
  var b=s.getBBox();boxes[n.id]={x:b.x,y:b.y,w:b.width,h:b.height,
    name:n.querySelector('title')?n.querySelector('title').textContent:n.id};
  out.nodes++;
  n.querySelectorAll('text').forEach(function(t){var r=tbox(t);
    if(r.x<b.x-0.5||r.y<b.y-0.5||r.x+r.width>b.x+b.width+0.5||
       r.y+r.height>b.y+b.height+0.5)
      out.nodetext.push(n.id+' "'+t.textContent+'"');});
});
function inside(p,b){return p.x>b.x+EPS&&p.x<b.x+b.w-EPS&&
  p.y>b.y+EPS&&p.y<b.y+b.h-EPS;}
function overlap(r,b){return r.x<b.x+b.w-EPS&&r.x+r.width>b.x+EPS&&
  r.y<b.y+b.h-EPS&&r.y+r.height>b.y+EPS;}
svg.querySelectorAll('g.edge').forEach(function(e){
  var d=document.getElementById('d-'+e.id);
  var src=d?d.getAttribute('data-src'):'',dst=d?d.getAttribute('data-dst'):'';
  var p=e.querySelector('path:not(.hit)');if(!p)return;
  out.edges++;
  var len=p.getTotalLength(),hit={};
  for(var l=0;l<=len;l+=2.5){var pt=p.getPointAtLength(l);
    for(var id in boxes){if(id===src||id===dst||hit[id])continue;
      if(inside(pt,boxes[id])){hit[id]=1;
        out.crossings.push(e.id+' ('+(boxes[src]||{}).name+' -> '+
          (boxes[dst]||{}).name+') crosses '+boxes[id].name+' at '+
          pt.x.toFixed(1)+','+pt.y.toFixed(1));}}}
  e.querySelectorAll('text').forEach(function(t){var r=tbox(t);
    for(var id in boxes)if(overlap(r,boxes[id]))
      out.labels.push(e.id+' label "'+t.textContent+'" overlaps '+
        boxes[id].name);});
});
return out;})()
"""

VERDICT = r"""
(function(){var bad=[],n=0;
document.querySelectorAll('table').forEach(function(t){
  if(t.closest('#details'))return;
  t.querySelectorAll('thead th').forEach(function(th){
    if(th.textContent!=='Verdict')return;n++;
    var r=th.getBoundingClientRect(),box=t.parentElement.getBoundingClientRect();
    if(r.width<20||r.left<0||r.right>window.innerWidth+0.5||
       r.right>box.right+0.5||r.left<box.left-0.5)
      bad.push((t.id||'table')+': Verdict at '+r.left.toFixed(0)+'..'+
        r.right.toFixed(0)+', window '+window.innerWidth+', box '+
        box.left.toFixed(0)+'..'+box.right.toFixed(0));});});
return {n:n,bad:bad};})()
"""

# A point on the screen where a click reaches the edge itself (not an edge
# or box drawn over it): along its path, or its label; prefer a denied
# edge. The stage is scrolled into view first.
EDGE_TARGET = r"""
(function(){
document.getElementById('stage').scrollIntoView({block:'start'});
var es=Array.prototype.slice.call(document.querySelectorAll('#topology g.edge'));
es.sort(function(a,b){return b.classList.contains('denied')-a.classList.contains('denied');});
for(var i=0;i<es.length;i++){var e=es[i],p=e.querySelector('path:not(.hit)');
  var m=p.getScreenCTM(),len=p.getTotalLength(),cands=[];
  e.querySelectorAll('text').forEach(function(t){var r=t.getBoundingClientRect();
    cands.push({x:r.left+r.width/2,y:r.top+r.height/2});});
  for(var l=len*0.1;l<len*0.9;l+=Math.max(2,len/50)){var q=p.getPointAtLength(l);
    cands.push({x:m.a*q.x+m.c*q.y+m.e,y:m.b*q.x+m.d*q.y+m.f});}
  for(var k=0;k<cands.length;k++){var c=cands[k];
    if(c.x<0||c.y<0||c.x>=window.innerWidth||c.y>=window.innerHeight)continue;
    var hit=document.elementFromPoint(c.x,c.y);
    if(hit&&hit.closest('g.edge')===e)
      return {id:e.id,x:c.x,y:c.y,rows:document.querySelectorAll(
        '#t-flows tbody tr[data-edge="'+e.id+'"]').length};}}
return null;})()
"""

NODE_TARGET = r"""
(function(){
var n=document.querySelector('#topology g.node');if(!n)return null;
var r=n.querySelector('path,polygon').getBoundingClientRect();
return {id:n.id,x:r.left+6,y:r.top+r.height/2};})()
"""

PANEL = r"""
(function(){var p=document.getElementById('details');
return {shown:!p.hidden&&p.getBoundingClientRect().width>0,
 title:(p.querySelector('h3')||{}).textContent||'',
 flows:p.querySelectorAll('table tbody tr').length,
 flowRows:Array.prototype.map.call(p.querySelectorAll('h4'),
   function(h){return h.textContent;}),
 arrows:p.querySelectorAll('button[data-go]').length};})()
"""

FILTER = r"""
(function(){var s=document.querySelector('select.facet[data-facet="%s"]');
if(!s)return null;var v=s.options[s.options.length-1].value;s.value=v;
s.dispatchEvent(new Event('change'));
var off=document.querySelectorAll('#topology g.edge.f-off').length,
 all=document.querySelectorAll('#topology g.edge').length,
 hidden=document.querySelectorAll('#t-flows tbody tr.f-off').length,
 rows=document.querySelectorAll('#t-flows tbody tr').length,
 wrong=0;
document.querySelectorAll('#t-flows tbody tr:not(.f-off)').forEach(function(r){
 if((' '+r.getAttribute('data-%s')+' ').indexOf(' '+v+' ')<0)wrong++;});
s.value='';s.dispatchEvent(new Event('change'));
return {value:v,off:off,all:all,hidden:hidden,rows:rows,wrong:wrong,
 after:document.querySelectorAll('#topology .f-off, #t-flows tr.f-off').length};})()
"""


def check(b, url, width, args, fails, first):
    def fail(msg):
        fails.append("%s @%d: %s" % (args.name, width, msg))

    b.load(url, width, 1000)
    time.sleep(0.2)
    for p in b.pump():
        fail(p)
    if args.shots:
        b.screenshot(os.path.join(args.shots, "%s-%d.png" %
                                  (args.name, width)))
    # The drawing's geometry is in its own units: the same at any
    # width, so it is measured once.
    g = b.js(GEOMETRY) if first else {"graph": b.js(
        "!!document.getElementById('topology')"), "crossings": [],
        "labels": [], "nodetext": [], "nodes": -1, "edges": -1}
    mode = b.js("(function(){var n=document.querySelector("
                "'#topology g.node');return n?(n.classList.contains("
                "'namespace')||n.classList.contains('peer')&&"
                "!document.querySelector('#topology g.node.workload')?"
                "'namespaces':'workloads'):'none';})()")
    if args.expect_graph and mode != args.expect_graph:
        fail("the drawing shows %s, expected %s" % (mode, args.expect_graph))
    if g["graph"] and first:
        if g["nodes"] == 0 or g["edges"] == 0:
            fail("the drawing has %d nodes and %d edges" %
                 (g["nodes"], g["edges"]))
        for c in g["crossings"]:
            fail("edge crosses a box: " + c)
        for c in g["labels"]:
            fail(c)
        for c in g["nodetext"]:
            fail("text sticks out of its box: " + c)
    v = b.js(VERDICT)
    if args.expect_verdict and v["n"] == 0:
        fail("no Verdict column")
    for c in v["bad"]:
        fail("Verdict column not visible: " + c)
    if not g["graph"]:
        return g
    t = b.js(EDGE_TARGET)
    if t is None:
        fail("no edge can be clicked")
        return g
    if t["rows"] == 0:
        fail("edge %s has no rows in the flows table" % t["id"])
    b.click(t["x"], t["y"])
    time.sleep(0.1)
    p = b.js(PANEL)
    if not p["shown"]:
        fail("clicking edge %s at %.0f,%.0f showed no details" %
             (t["id"], t["x"], t["y"]))
    elif p["flows"] < t["rows"] or "Flows" not in p["flowRows"]:
        fail("the details of edge %s list %d rows (%s), want its %d flows"
             % (t["id"], p["flows"], p["flowRows"], t["rows"]))
    if args.shots and width == 1400:
        b.screenshot(os.path.join(args.shots, "%s-%d-edge.png" %
                                  (args.name, width)))
    b.js("document.getElementById('details-close').click()")
    if b.js(PANEL)["shown"]:
        fail("the details panel did not close")
    n = b.js(NODE_TARGET)
    b.click(n["x"], n["y"])
    time.sleep(0.1)
    p = b.js(PANEL)
    if not p["shown"] or p["arrows"] == 0:
        fail("clicking node %s showed %s" % (n["id"], p))
    for facet in ("ns", "verdict", "proto", "peer"):
        r = b.js(FILTER % (facet, facet))
        if r is None:
            continue
        if r["wrong"] or r["after"] or (r["rows"] and not r["hidden"] and
                                        r["value"]):
            # Every row left must match; clearing must show all again.
            if r["wrong"] or r["after"]:
                fail("filter %s=%s: %s" % (facet, r["value"], r))
    for p in b.pump():
        fail(p)
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--shots")
    ap.add_argument("--name", default="report")
    ap.add_argument("--widths", default="1024,1400,1920")
    ap.add_argument("--expect-graph", choices=("workloads", "namespaces",
                                               "none"))
    ap.add_argument("--expect-verdict", action="store_true")
    args = ap.parse_args()
    url = "file://" + os.path.abspath(args.report)
    fails = []
    b = Browser()
    try:
        b.open_page()
        for i, w in enumerate(int(x) for x in args.widths.split(",")):
            g = check(b, url, w, args, fails, i == 0)
            if i == 0:
                print("%s: %d nodes, %d edges measured" % (
                    args.name, g.get("nodes", 0), g.get("edges", 0)))
            print("%s @%d: checked" % (args.name, w))
    finally:
        b.close()
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
