#!/usr/bin/env python3
"""What a plain script does: the inventory `imagefactory images --json` prints, read with a pool
of 16 threads (the standard library only), for the inventory benchmark to compare against.

Reads the same endpoint and managed identity as the binary (IMAGEFACTORY_ENDPOINT,
IDENTITY_ENDPOINT, IDENTITY_HEADER): a token, the subscriptions, each subscription's labs, and
each lab's custom images, VMs and formulas, following nextLink; prints the images as JSON.
"""

import http.client
import json
import os
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

DTL = "2018-09-15"
SUBSCRIPTIONS = "2022-12-01"
THREADS = int(os.environ.get("SCRIPT_THREADS", "16"))

endpoint = urllib.parse.urlsplit(os.environ["IMAGEFACTORY_ENDPOINT"])
local = threading.local()


def connection(netloc):
    """One keep-alive connection per thread and host, as a requests.Session would keep."""
    pool = getattr(local, "pool", None)
    if pool is None:
        pool = local.pool = {}
    if netloc not in pool:
        pool[netloc] = http.client.HTTPConnection(netloc)
    return pool[netloc]


def get(url, headers):
    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    conn = connection(parts.netloc)
    conn.request("GET", target, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {url}: {response.status} {body[:200]!r}")
    return json.loads(body)


def token():
    identity = os.environ["IDENTITY_ENDPOINT"]
    resource = f"{endpoint.scheme}://{endpoint.netloc}"
    query = urllib.parse.urlencode({"resource": resource, "api-version": "2019-08-01"})
    reply = get(f"{identity}?{query}", {"X-IDENTITY-HEADER": os.environ["IDENTITY_HEADER"]})
    return reply["access_token"]


def main():
    headers = {"Authorization": "Bearer " + token()}
    base = f"{endpoint.scheme}://{endpoint.netloc}"

    def listing(path, api_version):
        url = f"{base}{path}?api-version={api_version}"
        items = []
        while url:
            page = get(url, headers)
            items.extend(page.get("value", []))
            url = page.get("nextLink")
        return items

    with ThreadPoolExecutor(THREADS) as pool:
        subscriptions = listing("/subscriptions", SUBSCRIPTIONS)
        lab_lists = pool.map(
            lambda s: listing(
                f"/subscriptions/{s['subscriptionId']}/providers/Microsoft.DevTestLab/labs", DTL
            ),
            subscriptions,
        )
        labs = [lab for labs in lab_lists for lab in labs]
        reads = [
            (lab, [pool.submit(listing, f"{lab['id']}/{kind}", DTL)
                   for kind in ("customimages", "virtualmachines", "formulas")])
            for lab in labs
        ]
        rows = []
        for lab, (images, vms, formulas) in reads:
            used = {
                vm.get("properties", {}).get("customImageId", "")
                for vm in vms.result()
            }
            used |= {
                ((f.get("properties", {}).get("formulaContent") or {}).get("properties") or {})
                .get("customImageId", "")
                for f in formulas.result()
            }
            used = {u.lower() for u in used if u}
            for image in images.result():
                tags = image.get("tags") or {}
                props = image.get("properties", {})
                rows.append({
                    "id": image["id"],
                    "lab": lab["name"],
                    "name": image["name"],
                    "image_path": tags.get("ImagePath"),
                    "created": props.get("creationDate"),
                    "author": props.get("author"),
                    "in_use": image["id"].lower() in used,
                })
    json.dump(rows, sys.stdout)


if __name__ == "__main__":
    main()
