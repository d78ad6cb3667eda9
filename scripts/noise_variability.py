#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Hour-to-hour variability of the Monash IP Observatory quiet stretches (../shared/data/groundtruth/monash/)
against simulated quiet worlds kept by `scripts/eval.sh --workdir /tmp/evalwork` (docs/simulator.md).
usage: scripts/noise_variability.py WORLD... (folders under /tmp/evalwork)"""
import sqlite3, csv, statistics, collections, sys
def stat(values):
    # median |x_t - x_{t-1}| / median(x), over consecutive points
    d=[abs(b-a) for a,b in zip(values,values[1:])]
    m=statistics.median(values)
    return (statistics.median(d)/m if m else float('nan'),
            statistics.pstdev([b-a for a,b in zip(values,values[1:])])/m if m else float('nan'))
# real: Monash Hurricane Laura counties, quiet stretch 24 Aug 00:00 - 26 Aug 00:00 UTC (before landfall 27 Aug)
by=collections.defaultdict(list)
for r in csv.DictReader(open('/work/shared/data/groundtruth/monash/usa-2020-08-31_HurrLaura.csv')):
    t=int(r['time_e_utc'])
    if t < 1598400000 and r['connectivity']!='':
        by[(r['name_1'],r['name_2'])].append((t,float(r['connectivity'])))
res=[]
for k,v in by.items():
    v.sort(); vals=[x for _,x in v]
    if len(vals)>20 and statistics.median(vals)>=5: res.append(stat(vals))
print("monash-laura counties (hourly, median>=5): n=%d  med|d|/level p50 %.3f  sd(d)/level p50 %.3f"
      % (len(res), statistics.median(r[0] for r in res), statistics.median(r[1] for r in res)))
# real latency index, quiet December 2021 (3-hourly)
by=collections.defaultdict(list)
for r in csv.DictReader(open('/work/shared/data/groundtruth/monash/ukr-2022-01-18_border-regions.csv')):
    if r['time_local'].split('-')[1]=='Dec' and r['latency_indx']!='':
        by[r['adm1_name']].append(float(r['latency_indx']))
res=[stat(v) for v in by.values() if len(v)>20]
print("monash latency index Dec 2021 (3-hourly): n=%d  med|d|/level p50 %.3f  sd(d)/level p50 %.3f"
      % (len(res), statistics.median(r[0] for r in res), statistics.median(r[1] for r in res)))
# simulated
for world in sys.argv[1:]:
    c=sqlite3.connect(f'/tmp/evalwork/{world}/vigil.db')
    for ds, step in (('ping-slash24',3600),('rtt-p50',10800)):
        res=[]
        for (eid,) in c.execute("select distinct s.entity_id from series s join datasources d on d.id=s.datasource_id "
                                "where d.name=?", (ds,)):
            rows=c.execute("select s.t, s.value from series s join datasources d on d.id=s.datasource_id "
                           "where d.name=? and s.entity_id=? order by s.t",(ds,eid)).fetchall()
            buckets=collections.defaultdict(list)
            for t,v in rows: buckets[t//step].append(v)
            vals=[statistics.mean(buckets[k]) for k in sorted(buckets)]
            if len(vals)>20 and statistics.median(vals)>=5: res.append(stat(vals))
        if res: print("sim %s %s (mean per %d s): n=%d  med|d|/level p50 %.3f  sd(d)/level p50 %.3f"
                      % (world, ds, step, len(res), statistics.median(r[0] for r in res),
                         statistics.median(r[1] for r in res)))
