# Dev notes, part 3: e-mails, transcripts, new gaps, multi-gap notes. Written by hand for the dev split.
NOTES = [
("""Hi all,

Short one from Brackenridge University. The admissions team wants prospective students to use the program-finder app without any login. Right now that's impossible - everyone must be a workspace user.

Thanks,
Lena Fischer
Solutions Architect

On Mon, Oct 12, 2026 Raj wrote:
> did Brackenridge say anything about external users?""",
 "G", "public-urls-without-login", "Brackenridge University", "Other", None, None),
("""Subject: RE: Calloway Telecom security

They confirmed: the app must sit behind their own web firewall with IP restrictions before it's exposed. They run everything on AWS so they asked if they can put their own WAF in front of our app endpoint. We couldn't give a path.

Rgds,
Tomas
Sr. SA | +44 20 7946 0958""",
 "G", "no-firewall", "Calloway Telecom", "Other", None, None),
("""so yeah ok so the call with Pemberton Health went long, basically they love the prior-auth app, the clinicians tested it, but their network people keep coming back to one thing which is that the app is reachable from the public internet and they can't put it behind their private endpoint, and they also want to stop it talking to anything outside, so until we have private networking for apps it's parked. they said budget is like 400k a year""",
 "G", "no-ingress-egress-controls", "Pemberton Health", "HLS", None, 400000),
("""---------- Forwarded message ---------
From: Security Office <secops@harwellbank.example>
Subject: Databricks Apps - outstanding items

1. Container image provenance and signing
2. Frequency of OS patching for the app runtime
3. Critical vulnerability response SLA

Until these are answered the Harwell Bank deployment cannot proceed.

---
fwd to the team, Harwell Bank still blocked on the above. acv $520k""",
 "G", "cve-protection-unclear", "Harwell Bank", "FSI", None, 520000),
("""transcript snippet, Sable Retail weekly:
"...and then Monday morning all 700 stores log in to check the allocations and it just... the page spins. we bumped it to the largest size you have and it's still spinning. so what's next?" """,
 "G", "vertical-only", "Sable Retail", "Retail", None, None),
("""Hey - Tamsin Logistics asked whether an app can run across multiple instances with a load balancer. they run 3 replicas of everything on AKS for resilience (azure is just their cloud, not competing). we said single instance.""",
 "G", "no-horizontal-scaling", "Tamsin Logistics", "Other", None, None),
("""Dear team,
Brightwater Energy's finance controller flagged the monthly apps invoice: the app is used in the monthly close week only, yet billed every hour of every day. They want consumption-based pricing.
Kind regards,
Omar""",
 "G", "fixed-24x7-pricing", "Brightwater Energy", "Other", None, None),
("""Ridley Motors (auto OEM) quality team: the app needs a GPU to run the weld-seam segmentation model. asked if they can choose a gpu node for the app. $340k over 2 years""",
 "G", "no-gpu-config", "Ridley Motors", "MFG", None, 170000),
("""Re: Cobalt Insurance model integration
> how long did the endpoint setup take?
two sprints. separate serving endpoint, the auth between app and endpoint, scaling the endpoint, then cost surprise from the endpoint running all the time. they asked why the app can't just load the model itself.
-M""",
 "G", "complex-model-serving", "Cobalt Insurance", "FSI", None, None),
("""Sable Retail - they have 15 years of store data in Teradata + an operational Postgres on GCP. app has to write to that postgres. told them lakebase is the managed option, they said absolutely not migrating""",
 "G", "lakebase-only", "Sable Retail", "Retail", None, None),
("""Brackenridge University comms office: the app has to be at data.brackenridge.edu, not a databricks hostname. they have a strict web policy""",
 "G", "no-custom-domains", "Brackenridge University", "Other", None, None),
("""Harwell Bank audit: need to know every user who opened the limits app + timestamps for 7 yrs retention. no user session logs in apps today""",
 "G", "no-user-sessions", "Harwell Bank", "FSI", None, None),
("""Pemberton Health wants a live bed board: the app should push updates to screens over websockets. connections keep getting dropped after ~60s. not sure it's supported""",
 "G", "NEW: websockets / server push", "Pemberton Health", "HLS", None, None),
("""Calloway Telecom: they need the app to run long batch exports (40 min) in the background and email the file when done. requests time out; no background job support""",
 "G", "NEW: long-running background jobs", "Calloway Telecom", "Other", None, None),
("""Tamsin Logistics: their analysts write everything in R Shiny. asked whether apps run R. they don't want to rewrite 30 shiny apps in python""",
 "G", "NEW: R / Shiny runtime", "Tamsin Logistics", "Other", None, None),
("""Cobalt Insurance DR team: app has to fail over to a second region if the primary goes down. regulator requires it. no multi-region story for apps""",
 "G", "NEW: multi-region failover", "Cobalt Insurance", "FSI", None, None),
("""Ridley Motors uploads 2GB CAD files through the app and it fails - upload size limit. they need big file uploads for the engineering review app""",
 "G", "NEW: large file uploads", "Ridley Motors", "MFG", None, None),
("""Brightwater Energy wants to bring their own docker image with system libs (gdal, proj) - the app build can't install OS packages. blocker for the GIS app""",
 "G", "NEW: custom container images", "Brightwater Energy", "Other", None, None),
("""Sable Retail asked for scheduled runs inside the app (refresh at 5am, send report). they want cron in the app itself rather than a separate job""",
 "G", "NEW: scheduled tasks in apps", "Sable Retail", "Retail", None, None),
("""Harwell Bank: field reps use the app on tablets in branches with flaky wifi. they want offline mode / sync later. not possible""",
 "G", "NEW: offline mode", "Harwell Bank", "FSI", None, None),
("""brackenridge: app UI needs to be in english, spanish and mandarin, and the app shell/login pages are english only. localisation asked""",
 "G", "NEW: localisation of the app shell", "Brackenridge University", "Other", None, None),
("""Calloway Telecom: app secrets have to rotate every 30 days automatically from their HashiCorp Vault. apps only read static secrets. their security won't accept that""",
 "G", "NEW: secrets rotation from external vault", "Calloway Telecom", "Other", None, None),
("""Two asks from Pemberton Health today: (1) the referral app must live on referrals.pembertonhealth.org with their certificate, (2) their security team needs a WAF and IP allowlisting before it faces the internet. $400k""",
 "G", "no-custom-domains", "Pemberton Health", "HLS", None, 400000, {"gaps": ["no-custom-domains", "no-firewall"]}),
("""Cobalt Insurance
- claims app stalls at 300 concurrent adjusters, even at max size
- finance also unhappy that it bills 24/7 when adjusters work 9-5
$480k/yr""",
 "G", "vertical-only", "Cobalt Insurance", "FSI", None, 480000, {"gaps": ["vertical-only", "fixed-24x7-pricing"]}),
("""Tamsin Logistics: route-optimizer app needs a GPU for the solver, and separately they're annoyed that calling their ETA model requires standing up a serving endpoint with its own auth""",
 "G", "no-gpu-config", "Tamsin Logistics", "Other", None, None, {"gaps": ["no-gpu-config", "complex-model-serving"]}),
("""Ridley Motors sponsor wants per-user usage stats for the quality app (who logs in, how often). also the app must write to their SQL Server, not Lakebase.""",
 "G", "no-user-sessions", "Ridley Motors", "MFG", None, None, {"gaps": ["no-user-sessions", "lakebase-only"]}),
("""Harwell Bank network + security review outcome:
1. egress must be locked to approved hosts, reachable only via private link
2. they need our base image patch cadence and CVE SLA in writing""",
 "G", "no-ingress-egress-controls", "Harwell Bank", "FSI", None, None, {"gaps": ["no-ingress-egress-controls", "cve-protection-unclear"]}),
("""Sable Retail lost to Snowflake. two reasons per their VP: store partners couldn't get in without our login, and the app cost money while idle. $390k ACV""",
 "L", "public-urls-without-login", "Sable Retail", "Retail", "Snowflake", 390000, {"gaps": ["public-urls-without-login", "fixed-24x7-pricing"]}),
("""Brightwater Energy - good news, signed for the outage-map app. $95k ACV. they'll live with the single instance for now""",
 "W", None, "Brightwater Energy", "Other", None, 95000),
("""Pemberton Health chose Databricks Apps over Azure App Service for the prior-auth app!! $400k. Security sign-off came through after the private link preview""",
 "W", None, "Pemberton Health", "HLS", "Azure", 400000),
("""Calloway Telecom asked for a pilot of a network-planning app in Q1, interest from the CTO office""",
 "O", None, "Calloway Telecom", "Other", None, None),
("""Ridley Motors exploring a dealer-inventory app. they run on AWS (just their infra). early discovery, no blockers yet. $1.5M over 3 years across brands""",
 "O", None, "Ridley Motors", "MFG", None, 500000),
("""Cobalt Insurance evaluating Palantir AIP for the underwriting workbench. Palantir offering free POC. we're in it, no gap called out yet""",
 "C", None, "Cobalt Insurance", "FSI", "Palantir", None),
("""Tamsin Logistics leaning towards ServiceNow for the dispatch app because it's already their ticketing platform""",
 "C", None, "Tamsin Logistics", "Other", "ServiceNow", None),
("""Brackenridge University comparing Apps with Posit Connect for research dashboards (lots of R users there). deciding in Jan""",
 "C", None, "Brackenridge University", "Other", "Posit", None),
("""Harwell Bank lost - they went with Salesforce (Tableau) for the branch dashboards. wasn't a gap, their exec sponsor is a Tableau fan. $520k""",
 "L", None, "Harwell Bank", "FSI", "Salesforce", 520000),
("""Sable Retail also looking at Heroku for the small store apps bc Heroku dynos can sleep when idle""",
 "C", "fixed-24x7-pricing", "Sable Retail", "Retail", "Heroku", None),
("""Cobalt Insurance (Jan renewal) - $2.4M over 3 yrs on the table for the apps platform; they asked for our SBOM + pen test letter first""",
 "G", "cve-protection-unclear", "Cobalt Insurance", "FSI", None, 800000),
("""Pemberton Health asked if the app can show them which clinicians used it during the pilot. nope""",
 "G", "no-user-sessions", "Pemberton Health", "HLS", None, None),
("""Brightwater Energy: dispatchers across 4 control rooms open the outage map during storms - ~900 people - app falls over even at the biggest compute""",
 "G", "vertical-only", "Brightwater Energy", "Other", None, None),
]
