"""What an analyst would script instead: validate + aggregate the generated records with pandas.

The same rules as lofte for the Oskarshamn 2021 pledge (required fields, real dates inside 2021, party matching the
commitment, positive counts up to 10 000, the four schools, the two LUPP milestones, conflicting ids out), then
achieved per commitment and per month. Usage: python3 pandas_baseline.py records.csv
"""
import sys
import time

import pandas as pd

started = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
df.columns = [c.strip().lower() for c in df.columns]
activities = {
    "hastighetskontroll": ("hastighetskontroller", "polisen"),
    "trafikkontroll_ungdom": ("motorburen-ungdom", "polisen"),
    "fotpatrull_skola": ("fotpatrull-skolor", "polisen"),
    "lupp_enkat": ("lupp-enkat", "kommunen"),
    "trygghetsvandring": ("trygghetsvandring", "kommunen"),
    "utbildning_fri_fran_vald": ("fri-fran-vald", "kommunen"),
    "inlagg_sociala_medier": ("sociala-medier", "polisen"),
    "aterrapportering": ("aterrapportering", "polisen"),
}
schools = {"vallhallaskolan", "kristinebergskolan", "rödsleskolan", "oscarsgymnasiet"}

ok = (df["id"] != "") & (df["date"] != "") & (df["party"] != "") & (df["activity"] != "")
date = pd.to_datetime(df["date"].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
ok &= date.notna() & (date >= "2021-01-01") & (date <= "2021-12-31")
party = df["party"].str.strip().str.lower()
commitment = df["activity"].map(lambda a: activities.get(a, (None, None))[0])
expected_party = df["activity"].map(lambda a: activities.get(a, (None, None))[1])
ok &= commitment.notna() & (party == expected_party)
count = pd.to_numeric(df["count"].where(df["count"] != "", "1"), errors="coerce")
ok &= count.notna() & (count >= 1) & (count <= 10000) & (count == count.round())
patrol = df["activity"] == "fotpatrull_skola"
ok &= ~patrol | df["location"].str.strip().str.lower().str.replace(" ", "").isin(schools)
lupp = df["activity"] == "lupp_enkat"
ok &= ~lupp | df["milestone"].isin(["ak8", "gy2"])

accepted = df[ok].assign(commitment=commitment[ok], count=count[ok], month=date[ok].dt.strftime("%Y-%m"))
content = accepted.drop_duplicates(subset=["id", "date", "party", "commitment", "location", "count", "milestone", "note"])
conflicts = content["id"].duplicated(keep=False)
accepted = content[~conflicts]
achieved = accepted.groupby("commitment")["count"].sum()
by_month = accepted.groupby(["commitment", "month"])["count"].sum()
elapsed = time.perf_counter() - started
print(f"pandas {pd.__version__}: {len(df)} rows, {len(accepted)} accepted, {len(achieved)} commitments, "
      f"{len(by_month)} month sums in {elapsed:.2f} s")
