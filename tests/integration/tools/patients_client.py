"""The clinician's patient workflow through the JSON API (tools/mgapi.py):
create, read, change and find patients, identifiers with "/" included,
and the interpretation the server computes (a child's BMI-for-age, an
adult's class, blood pressure, change since the previous measurement).

usage: patients_client.py PORT CA STATE.json STEP (identity, interpretation, counts)
STATE holds the clinician's account and the patients the shell script's
devices measured; each STEP prints "ok - ..." lines or fails.
"""
import json
import sys
import urllib.parse

from mgapi import Api, Session, check, ok, main_guard

NEW_PASSWORD = "Harbour-quilt-meadow-417"


def clinician(api, st):
    """The clinician signed in; its first sign-in changes the password."""
    if api.login(st["user"], NEW_PASSWORD).status == 200:
        return Session(api, st["user"], NEW_PASSWORD).login()
    s = Session(api, st["user"], st["password"]).login()
    if s.info.get("must_change_password"):
        s.change_password(NEW_PASSWORD)
    return s


def path(pid, rest=""):
    return "/api/v1/patients/" + urllib.parse.quote(pid, safe="") + rest


def find(s, q):
    a = s.call("GET", "/api/v1/patients?" + urllib.parse.urlencode({"q": q}))
    check(a.status == 200, "search %r: %r" % (q, a))
    return sorted(p["id"] for p in a.json["patients"])


def step_identity(api, st):
    s = clinician(api, st)
    child, adult, slash = st["child"], st["adult"], st["slash"]
    # A device measured these patients first: no identity yet, no class.
    a = s.call("GET", path(child, "/measurements"))
    check(a.status == 200 and a.json["record"]["identity"] is None, "before identity: %r" % a)
    check(all(m["bmi"]["class"] == "none" and m["bmi"]["why_not"] == "no_birth_date"
              for m in a.json["measurements"]), "a class without a birth date: %r" % a)
    check("birth date" in a.json["interpretation"]["no_class_reason"], "no reason: %r" % a)
    ok("without identity: no BMI class, and the answer says why")

    body = {"id": child, "family_name": "Müller", "given_name": "Lena Marie",
            "birth_date": "2019-03-14", "sex": "female", "ward": "Kinder 2", "case_number": "F-77"}
    a = s.call("POST", "/api/v1/patients", body)
    check(a.status == 201, "create over a device's patient: %r" % a)
    check(a.json["identity"]["family_name"] == "Müller" and a.json["id"] == child, "answer %r" % a)
    a = s.call("POST", "/api/v1/patients", body)
    check(a.status == 409, "creating the same patient twice: %r" % a)
    a = s.call("POST", "/api/v1/patients", {"id": adult, "family_name": "Mueller",
                                            "given_name": "Hans", "birth_date": "1961-07-01",
                                            "sex": "male"})
    check(a.status == 201, "create adult: %r" % a)
    a = s.call("POST", "/api/v1/patients", {"id": slash, "family_name": "Okafor",
                                            "given_name": "Ada", "birth_date": "1990-01-31",
                                            "sex": "female"})
    check(a.status == 201, "create a patient whose id has a slash: %r" % a)
    a = s.call("POST", "/api/v1/patients", {"id": "NEW-1", "given_name": "X"})
    check(a.status == 400 and a.json.get("field") == "family_name", "no family name: %r" % a)
    a = s.call("POST", "/api/v1/patients", {"id": "NEW-1", "family_name": "X",
                                            "birth_date": "2019-02-30"})
    check(a.status == 400 and a.json.get("field") == "birth_date", "30 February: %r" % a)
    a = s.call("POST", "/api/v1/patients", {"id": "NEW 1", "family_name": "X"})
    check(a.status == 400 and a.json.get("field") == "id", "id with a space: %r" % a)
    a = s.call("POST", "/api/v1/patients", {"id": "NEW-2", "family_name": "X", "sex": "f"})
    check(a.status == 400 and a.json.get("field") == "sex", "sex f: %r" % a)
    ok("a clinician creates patients (over a device's patient, with a '/' in the id); "
       "duplicates 409, bad fields 400 naming the field")

    a = s.call("PATCH", path(slash), {"ward": "Station 3", "family_name": "Okafor-Ibe"})
    check(a.status == 200 and a.json["identity"]["ward"] == "Station 3"
          and a.json["identity"]["given_name"] == "Ada", "edit: %r" % a)
    a = s.call("GET", path(slash))
    check(a.status == 200 and a.json["identity"]["family_name"] == "Okafor-Ibe", "read: %r" % a)
    a = s.call("PATCH", path("NOBODY-1"), {"ward": "x"})
    check(a.status == 404, "edit of an unknown patient: %r" % a)
    ok("a clinician changes a patient (only the fields given); read back through a %2F path")

    check(find(s, "müller") == sorted([child, adult]), "müller finds Müller and Mueller")
    check(find(s, "MUELLER lena") == [child], "two words must both match")
    check(find(s, "14.03.2019") == [child], "German date")
    check(find(s, "2019-03-14 mueller") == [child], "date and name")
    check(find(s, "okafor ibe") == [slash], "the changed name")
    check(find(s, "okafor") == [slash], "a part of a double name")
    check(find(s, slash) == [slash], "the id with a slash")
    check(find(s, st["plain"]) == [st["plain"]], "a device's patient without identity by id")
    check(find(s, "schmidt") == [], "nobody")
    a = s.call("GET", "/api/v1/patients?q=anna+bert+carl+dora+emil")
    check(a.status == 400 and a.json.get("field") == "q", "too many words: %r" % a)
    a = s.call("GET", "/api/v1/patients")
    check(a.status == 400, "no q: %r" % a)
    ok("search by name (umlaut spellings folded), birth date (ISO or German), both, and any "
       "id a device may send, '/' included")


def step_interpretation(api, st):
    s = clinician(api, st)
    a = s.call("GET", path(st["child"], "/measurements"))
    check(a.status == 200, "child: %r" % a)
    ms = a.json["measurements"]
    check(a.json["record"]["identity"]["birth_date"] == "2019-03-14", "identity in the answer")
    b = ms[-1]["bmi"]
    # 22 kg, 122 cm at 7 years 8 months: BMI 14.78, WHO 2007 girls: normal.
    check(b["reference"] == "who_2007" and b["class"] == "child_normal"
          and not b["class"].startswith("adult") and -1.0 < b["zscore"] < 0.5,
          "a 7-year-old's BMI: %r" % b)
    check(b["age"]["years"] == 7, "age %r" % b)
    ch = ms[-1]["change"]["body_weight"]
    check(abs(ch["delta"] - 1.0) < 1e-6 and abs(ch["percent"] - 4.8) < 0.05,
          "weight change 21 -> 22 kg: %r" % ch)
    check(ms[0]["change"] == {}, "the first has nothing to compare with: %r" % ms[0])
    ok("child: BMI-for-age z-score %.2f, class %s (WHO 2007), never an adult class; "
       "change +1 kg (+4.8 %%)" % (b["zscore"], b["class"]))

    a = s.call("GET", path(st["adult"], "/measurements"))
    check(a.status == 200, "adult: %r" % a)
    ms = a.json["measurements"]
    bmis = [m for m in ms if m["bmi"]]
    check(bmis and bmis[-1]["bmi"]["class"] == "adult_pre_obese"
          and bmis[-1]["bmi"]["reference"] == "who_adult", "adult BMI: %r" % bmis)
    bps = [m for m in ms if m["blood_pressure"]]
    check(bps and bps[-1]["blood_pressure"]["class"] == "grade_1"
          and bps[-1]["blood_pressure"]["guideline"] == "ESH 2023", "BP: %r" % bps)
    ok("adult: WHO adult class pre-obese; blood pressure 150/95 ESH 2023 grade 1")


def step_assignment(api, st):
    """The measurement that came without patient: in the queue (no
    patient), assigned to a patient the gateway did not know, then on that
    patient's page and out of the queue (docs/ward.md)."""
    s = clinician(api, st)
    a = s.call("GET", "/api/v1/assignments")
    check(a.status == 200 and len(a.json["measurements"]) == 1, "queue: %r" % a)
    q = a.json["measurements"][0]
    check(q["values"][0]["type"] == "body_weight" and q["device_name"] and "patient" not in q,
          "queued measurement: %r" % q)
    a = s.call("POST", "/api/v1/assignments/%d" % q["id"], {})
    check(a.status == 400 and "patient" in a.text(), "no patient: %r" % a)
    a = s.call("POST", "/api/v1/assignments/%d" % q["id"], {"patient": "bad id"})
    check(a.status == 400, "bad id: %r" % a)
    a = s.call("POST", "/api/v1/assignments/%d" % (q["id"] + 1000), {"patient": st["assign_to"]})
    check(a.status == 404, "unknown measurement: %r" % a)
    a = s.call("POST", "/api/v1/assignments/%d" % q["id"], {"patient": st["assign_to"]})
    check(a.status == 200 and a.json == {"measurement": q["id"], "status": "final"},
          "assign: %r" % a)
    a = s.call("POST", "/api/v1/assignments/%d" % q["id"], {"patient": st["assign_to"]})
    check(a.status == 404, "assigned twice: %r" % a)
    a = s.call("GET", "/api/v1/assignments")
    check(a.status == 200 and a.json["measurements"] == [], "queue after: %r" % a)
    a = s.call("GET", path(st["assign_to"], "/measurements"))
    check(a.status == 200 and [m["id"] for m in a.json["measurements"]] == [q["id"]],
          "the patient's page: %r" % a)
    ok("a measurement without patient: queued for the clinician (values, device, no patient), "
       "assigned to a new patient id, then on its page and out of the queue; no patient, a bad "
       "id, an unknown or an assigned measurement refused")


def step_jump(api, st):
    """Weight +28 % within 12 h is marked a jump; the child's +4.8 % in a
    week is not (docs/ward.md)."""
    s = clinician(api, st)
    a = s.call("GET", path("JUMP-1", "/measurements"))
    check(a.status == 200, "jump patient: %r" % a)
    w = a.json["measurements"][-1]["change"]["body_weight"]
    check(w["jump"] is True and abs(w["percent"] - 28.0) < 0.05 and a.json["jumps"] >= 1,
          "weight 70 -> 89.6 kg in 12 h: %r" % a.json)
    check(a.json["measurements"][-1]["change"]["body_height"]["jump"] is False, "height: %r" % a.json)
    c = s.call("GET", path(st["child"], "/measurements"))
    check(c.json["measurements"][-1]["change"]["body_weight"]["jump"] is False
          and c.json["jumps"] == 0, "child: %r" % c.json)
    ok("an implausible jump marked for the clinician: weight +28 %% within 12 h (jump), "
       "a child's +4.8 %% in a week not")


def step_order(api, st):
    """Measure now: refusals, then an order for the adult on the device."""
    s = clinician(api, st)
    dev = st["device"]
    for body, field in (({"device": dev, "patient": st["adult"], "minutes": 0}, "minutes"),
                        ({"device": dev, "patient": st["adult"], "minutes": 61}, "minutes"),
                        ({"device": 999999, "patient": st["adult"]}, "device"),
                        ({"device": dev, "patient": "NOBODY-1"}, "patient"),
                        ({"device": dev}, "patient")):
        a = s.call("POST", "/api/v1/orders", body)
        check(a.status == 400 and a.json.get("field") == field, "%r: %r" % (body, a))
    a = s.call("POST", "/api/v1/orders", {"device": dev, "patient": st["adult"], "minutes": 5})
    check(a.status == 201 and a.json["device"] == dev, "order: %r" % a)
    a2 = s.call("POST", "/api/v1/orders", {"device": dev, "patient": st["child"]})
    check(a2.status == 409, "a second open order: %r" % a2)
    a = s.call("GET", "/api/v1/orders")
    check(a.status == 200 and [(o["device"], o["patient"]) for o in a.json["orders"]]
          == [(dev, st["adult"])], "orders: %r" % a)
    st["adult_count"] = len(s.call("GET", path(st["adult"], "/measurements")).json["measurements"])
    ok("measure now: minutes outside 1..60, an unknown device or patient refused; the order "
       "listed with the patient's id; a second open order for the device refused (409)")


def step_order_taken(api, st):
    """The device's measurement without patient went to the adult; then an
    order cancelled takes nothing."""
    s = clinician(api, st)
    n = len(s.call("GET", path(st["adult"], "/measurements")).json["measurements"])
    check(n == st["adult_count"] + 1, "the adult has %d measurements, expected %d"
          % (n, st["adult_count"] + 1))
    a = s.call("GET", "/api/v1/orders")
    check(a.status == 200 and a.json["orders"] == [], "the used order still open: %r" % a)
    a = s.call("GET", "/api/v1/assignments")
    check(a.json["measurements"] == [], "in the queue nevertheless: %r" % a)
    a = s.call("POST", "/api/v1/orders", {"device": st["device"], "patient": st["adult"]})
    check(a.status == 201, "order again: %r" % a)
    c = s.call("DELETE", "/api/v1/orders/%d" % a.json["id"])
    check(c.status == 204, "cancel: %r" % c)
    c = s.call("DELETE", "/api/v1/orders/%d" % a.json["id"])
    check(c.status == 404, "cancel twice: %r" % c)
    ok("the device's next measurement without patient went to the ordered patient, not to the "
       "queue; the order is used up; a cancelled order: 204, then 404")


def step_counts(api, st):
    """Each patient's measurements as the API shows them: st["counts"]
    maps a patient id to how many it must show (test_keys.sh: rows whose
    sealed values were changed in the database are not shown)."""
    s = clinician(api, st)
    for pid, want in sorted(st["counts"].items()):
        a = s.call("GET", path(pid, "/measurements"))
        check(a.status == 200, "measurements of a patient: %r" % a)
        got = len(a.json["measurements"])
        check(got == want, "%s: %d measurements shown, want %d" % (pid, got, want))
    ok("the API shows each patient's measurements but the altered ones")


def main():
    port, ca, state, step = sys.argv[1:5]
    st = json.load(open(state))
    api = Api(port, ca)
    {"identity": step_identity, "interpretation": step_interpretation,
     "assignment": step_assignment, "order": step_order, "jump": step_jump,
     "order_taken": step_order_taken, "counts": step_counts}[step](api, st)
    json.dump(st, open(state, "w"))


if __name__ == "__main__":
    main_guard(main)
