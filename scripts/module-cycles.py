#!/usr/bin/env python3
"""Fails when Rust modules import each other in a cycle (test modules excluded).

Usage: scripts/module-cycles.py CRATE_SRC_DIR...   (e.g. app/src simcluster/src)
Each .rs file is a module; an edge A -> B is a `crate::`, `super::` or `self::` path in A's
non-test code that names module B (or an item inside it). Prints every strongly connected
component of more than one module and exits 1 if there is any.
"""
import os, re, sys


GROUP = re.compile(r'(\w+(?:::\w+)*)::\{([^{}]*)\}')


def expand_groups(src):
    """`super::{a, b::c}` -> `super::a, super::b::c` (innermost groups first)."""
    def one(m):
        items = [i.strip().split(' as ')[0].strip() for i in m.group(2).split(',')]
        return ', '.join(m.group(1) if i == 'self' else f'{m.group(1)}::{i}' for i in items if i)
    while True:
        new = GROUP.sub(one, src)
        if new == src:
            return src
        src = new


def check(root, crate):
    mods={}
    for dp,dn,fn in os.walk(root):
        for f in fn:
            if not f.endswith('.rs'): continue
            p=os.path.join(dp,f); rel=os.path.relpath(p,root)[:-3].split(os.sep)
            if rel[-1] in ('mod','lib','main'): rel=rel[:-1]
            mods['::'.join(rel)]=open(p).read()
    names=set(mods)
    def resolve(cur,path):
        parts=path.split('::')
        if parts[0]=='crate': base=[]; parts=parts[1:]
        elif parts[0]=='super':
            base=cur.split('::') if cur else []
            while parts and parts[0]=='super': base=base[:-1]; parts=parts[1:]
        elif parts[0]=='self': base=cur.split('::') if cur else []; parts=parts[1:]
        else: return None
        full=base+parts
        # longest prefix that is a module
        for i in range(len(full),0,-1):
            m='::'.join(full[:i])
            if m in names: return m
        return None
    edges={m:set() for m in names}
    for m,src in mods.items():
        src=re.sub(r"//.*","",src); src=src.split("#[cfg(test)]")[0]
        src=expand_groups(src)
        for path in re.findall(r'\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)',src):
            t=resolve(m,path)
            if t and t!=m and not m.startswith(t+'::') and not t.startswith(m+'::'): edges[m].add(t)
    # collapse to siblings: cycles among modules (Tarjan)
    idx={};low={};st=[];on=set();sccs=[];c=[0]
    sys.setrecursionlimit(10000)
    def sc(v):
        idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
        for w in edges[v]:
            if w not in idx: sc(w); low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],idx[w])
        if low[v]==idx[v]:
            comp=[]
            while True:
                w=st.pop();on.discard(w);comp.append(w)
                if w==v:break
            if len(comp)>1: sccs.append(sorted(comp))
    for v in names:
        if v not in idx: sc(v)
    print(crate, 'modules', len(names), 'cycles', len(sccs))
    for s in sccs: print('  ', s)
    return len(sccs)


if __name__ == '__main__':
    found = sum(check(d, d.split('/')[0]) for d in sys.argv[1:])
    sys.exit(1 if found else 0)
