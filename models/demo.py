"""The demo data: who a seeded database holds and what its rows are drawn from.

The users (`DEMO_USERS`, whom `leadq serve --demo` lets in by name), the hand-made
records (base accounts and contacts, `Demo: ...` leads ready to qualify, leads that
duplicate a record by one rule) and the pools generated rows draw from. Plain values,
no database: `models.seeding` writes them (docs/seed.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .enums import LeadSource, PurchaseProcess, PurchaseTimeframe, Rating, Role, Stage

RANDOM_SEED = 20261102
# Generated rows are stamped relative to this fixed moment, so two seeds match.
BASE_TIME = dt.datetime(2026, 11, 2, 9, 0, 0)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Ada Admin", Role.SYSTEM_ADMINISTRATOR),
    DemoUser("morgan", "Morgan Manager", Role.SALES_MANAGER),
    DemoUser("riley", "Riley Rep", Role.SALESPERSON),
    DemoUser("sam", "Sam Seller", Role.SALESPERSON),
)


# --- Source data ---------------------------------------------------------------


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


# Existing customers: (name, website, phone, street, city, state, postal code, country).
BASE_ACCOUNTS: tuple[tuple[str, ...], ...] = (
    ("Contoso Ltd.", "https://www.contoso.com", "+1 425 555 0100", "1 Microsoft Way",
     "Redmond", "WA", "98052", "United States"),
    ("Fabrikam, Inc.", "fabrikam.com", "+1 206 555 0110", "500 Pine Street",
     "Seattle", "WA", "98101", "United States"),
    ("Northwind Traders", "www.northwindtraders.com", "+1 503 555 0120", "12 Harbor Road",
     "Portland", "OR", "97201", "United States"),
    ("Adventure Works Cycles", "adventure-works.com", "+1 312 555 0130", "233 Wacker Drive",
     "Chicago", "IL", "60606", "United States"),
    ("Litware, Inc.", "litwareinc.com", "+1 617 555 0140", "100 Summer Street",
     "Boston", "MA", "02110", "United States"),
    ("Tailspin Toys", "tailspintoys.com", "+1 512 555 0150", "401 Congress Avenue",
     "Austin", "TX", "78701", "United States"),
    ("Wingtip Toys", "wingtiptoys.com", "+1 303 555 0160", "1700 Lincoln Street",
     "Denver", "CO", "80203", "United States"),
    ("Alpine Ski House", "alpineskihouse.com", "+1 970 555 0170", "2 Mountain Road",
     "Aspen", "CO", "81611", "United States"),
    ("Coho Winery", "cohowinery.com", "+1 707 555 0180", "88 Vineyard Lane",
     "Napa", "CA", "94558", "United States"),
    ("Woodgrove Bank", "woodgrovebank.com", "+1 212 555 0190", "350 Fifth Avenue",
     "New York", "NY", "10118", "United States"),
    ("Fourth Coffee Ltd", "fourthcoffee.co.uk", "+44 20 7946 0958", "14 Old Street",
     "London", "", "EC1V 9BD", "United Kingdom"),
    ("Proseware GmbH", "proseware.de", "+49 30 901820", "Unter den Linden 5",
     "Berlin", "", "10117", "Germany"),
    ("Lucerne Publishing", "lucernepublishing.com", "+1 415 555 0111", "600 Market Street",
     "San Francisco", "CA", "94104", "United States"),
    ("Trey Research", "treyresearch.net", "+1 919 555 0122", "4 Park Drive",
     "Raleigh", "NC", "27601", "United States"),
    ("Wide World Importers", "wideworldimporters.com", "+1 305 555 0133", "1 Biscayne Blvd",
     "Miami", "FL", "33132", "United States"),
    ("Blue Yonder Airlines", "blueyonderairlines.com", "+1 469 555 0144", "2 Airport Way",
     "Dallas", "TX", "75261", "United States"),
)  # fmt: skip
# Two contacts per base account: (first, last, job title).
BASE_CONTACTS: tuple[tuple[str, str, str], ...] = (
    ("Nancy", "Davolio", "Purchasing manager"),
    ("Andrew", "Fuller", "Vice president, sales"),
    ("Janet", "Leverling", "Office manager"),
    ("Margaret", "Peacock", "Buyer"),
    ("Steven", "Buchanan", "Operations director"),
    ("Michael", "Suyama", "IT manager"),
    ("Robert", "King", "Chief financial officer"),
    ("Laura", "Callahan", "Facilities coordinator"),
    ("Anne", "Dodsworth", "Procurement lead"),
    ("Yvonne", "Moncada", "Chief executive"),
    ("Ingrid", "Hendrix", "Controller"),
    ("Victor", "Schumann", "Head of operations"),
    ("Olivia", "Thornbury", "Purchasing manager"),
    ("Hugo", "Marchetti", "IT director"),
    ("Petra", "Lindqvist", "Buyer"),
    ("Walter", "Okafor", "Plant manager"),
    ("Greta", "Holloway", "Office manager"),
    ("Felix", "Navarro", "Chief financial officer"),
    ("Irene", "Castellano", "Procurement lead"),
    ("Oscar", "Whitfield", "Operations director"),
    ("Beatrice", "Kowalski", "Head of facilities"),
    ("Dmitri", "Aldana", "IT manager"),
    ("Harriet", "Quinlan", "Buyer"),
    ("Ruben", "Achterberg", "Vice president, finance"),
    ("Sylvia", "Brennan", "Purchasing manager"),
    ("Conrad", "Ishikawa", "Chief technology officer"),
    ("Mabel", "Ferreira", "Office manager"),
    ("Desmond", "Varga", "Operations director"),
    ("Rosalind", "Eriksen", "Controller"),
    ("Ignatius", "Mbeki", "Facilities coordinator"),
    ("Cordelia", "Fairbanks", "Buyer"),
    ("Lionel", "Takahashi", "IT director"),
)

# Prospects (leads) and customers (accounts, contacts, qualified leads) draw names,
# companies and phones from disjoint pools, so only the leads made to be duplicates
# match anything.
PROSPECT_FIRST = _words(
    "Ava Liam Mia Noah Zoe Ethan Chloe Lucas Isla Mason Ruby Leo Nora Owen Ella Jack Aria "
    "Henry Lily Caleb Hazel Isaac Stella Wyatt Violet Julian Aurora Levi Naomi Ezra"
)
PROSPECT_LAST = _words(
    "Anderson Brooks Carter Diaz Ellis Foster Garcia Hughes Iyer Jensen Kim Lopez Morgan "
    "Nguyen Ortiz Patel Quinn Reyes Singh Turner Usman Vance Walsh Xu Young Zimmerman Novak "
    "Haddad Sato Okoye Rossi Fischer Dubois Silva Kowalczyk Murphy Bianchi Larsen Mehta"
)
CUSTOMER_FIRST = _words(
    "Agnes Bruno Clara Dario Edith Fabian Gloria Hector Ines Jonas Karin Lorenzo Marta "
    "Nils Odette Pavel Rita Stefan Tamsin Umberto Vera Wendell Ximena Yusuf Zelda"
)
CUSTOMER_LAST = PROSPECT_LAST
COMPANY_ADJ = _words(
    "Blue Bright Cedar Summit Granite Harbor Maple Silver Golden Iron Red Green North "
    "South East West Pacific Atlantic Prairie Canyon River Lake Pine Oak Stone Sky Sun "
    "Star Coral Aspen"
)
COMPANY_NOUN = _words(
    "Ridge Valley Bridge Harvest Forge Point Crest Field Gate Works Peak Trail Bay Grove "
    "Mill Haven Port Hill Creek Spring"
)
PROSPECT_KIND = _words(
    "Logistics Dental Analytics Outfitters Foods Robotics Clinics Media Builders Energy "
    "Pharma Textiles"
)
CUSTOMER_KIND = _words(
    "Holdings Partners Systems Supply Labs Consulting Manufacturing Brands Retail Networks "
    "Capital Solutions"
)
PROSPECT_AREAS = ("212", "312", "415", "512", "617", "702", "801", "904", "213", "646")
CUSTOMER_AREAS = ("206", "303", "404", "503", "602", "713", "816", "919", "281", "470")
PHONE_FORMATS = ("({a}) {e}-{l}", "{a}-{e}-{l}", "+1 {a} {e} {l}", "{a}.{e}.{l}")
PLACES = (
    ("Seattle", "WA", "98104", "United States"),
    ("Chicago", "IL", "60601", "United States"),
    ("Austin", "TX", "78702", "United States"),
    ("Boston", "MA", "02108", "United States"),
    ("Denver", "CO", "80202", "United States"),
    ("Atlanta", "GA", "30303", "United States"),
    ("Toronto", "ON", "M5H 2N2", "Canada"),
    ("Vancouver", "BC", "V6B 1A1", "Canada"),
    ("London", "", "SW1A 1AA", "United Kingdom"),
    ("Manchester", "", "M1 1AE", "United Kingdom"),
    ("Dublin", "", "D02 X285", "Ireland"),
    ("Amsterdam", "", "1012 JS", "Netherlands"),
    ("Munich", "BY", "80331", "Germany"),
    ("Lyon", "", "69002", "France"),
    ("Sydney", "NSW", "2000", "Australia"),
)
STREETS = "Main Street|Oak Avenue|Market Street|Station Road|High Street|Park Lane|Mill Road"
STREET_NAMES = _words(STREETS, "|")
JOB_TITLES = _words(
    "Purchasing manager|Office manager|IT director|Chief financial officer|Buyer|"
    "Operations lead|Facilities manager|Head of procurement|Founder|Practice manager",
    "|",
)
TOPICS = _words(
    "{n} ergonomic chairs|{n} laptops|Annual support renewal|Office refit, {n} desks|"
    "Fleet telematics pilot ({n} vans)|{n} CRM licences|Coffee machines for {n} sites|"
    "Server room upgrade|{n} standing desks|Printer contract, {n} devices|Cloud migration|"
    "Training for {n} staff|{n} headsets|Warehouse scanners ({n})|Security audit",
    "|",
)
NOTE_TEXTS = (
    "Called; asked for a quote by Friday.",
    "Met at the trade show. Interested in a pilot next quarter.",
    "Budget confirmed by finance.",
    "Left a voicemail, will try again Tuesday.",
    "Sent the product sheet and pricing.",
    "Decision by committee; the CFO signs off.",
    "Wants a demo for the whole team.",
    "Competitor quote is 10% lower; check discount options.",
)
ATTACHMENTS = (
    ("quote.txt", b"Quote Q-{n}\nItems: {n}\nTotal: {n}00.00 USD\n"),
    ("requirements.csv", b"item,quantity\nchairs,{n}\ndesks,{n}\n"),
    ("meeting-notes.md", b"# Meeting {n}\n\n- needs delivery in 6 weeks\n"),
)
SOURCES = tuple(LeadSource)
OPPORTUNITY_STAGE_MIX = (Stage.DEVELOP, Stage.DEVELOP, Stage.PROPOSE, Stage.CLOSE)
RATINGS = tuple(Rating)
TIMEFRAMES = tuple(PurchaseTimeframe)
PROCESSES = tuple(PurchaseProcess)

# Open leads ready for a live demo: unique company, every Qualify-stage field filled.
# (topic, first, last, title, company, website, phone, email, budget, timeframe, process)
DEMO_LEADS: tuple[tuple[str, ...], ...] = (
    ("Demo: 120 ergonomic chairs", "Priya", "Raman", "Office manager",
     "Quillstone Analytics", "https://www.quillstone.io", "+1 (720) 555-0301",
     "priya.raman@quillstone.io", "48000", "this_quarter", "committee"),
    ("Demo: CRM rollout for 40 reps", "Tomas", "Lindgren", "Head of sales",
     "Harborview Dental Group", "harborviewdental.net", "+1 (858) 555-0302",
     "tomas.lindgren@harborviewdental.net", "75000", "next_quarter", "committee"),
    ("Demo: Fleet telematics pilot", "Amara", "Okonkwo", "Operations director",
     "Meridian Freight Lines", "meridianfreight.co", "+1 (615) 555-0303",
     "amara@meridianfreight.co", "22000", "immediate", "individual"),
    ("Demo: Studio lighting refit", "Jun", "Takeda", "Founder",
     "Copperleaf Studios", "copperleafstudios.art", "+1 (503) 555-0304",
     "jun@copperleafstudios.art", "9500", "this_year", "individual"),
    ("Demo: Clinic scheduling software", "Sofia", "Marquez", "Practice manager",
     "Silverpine Clinics Cooperative", "silverpineclinics.org", "+1 (971) 555-0305",
     "s.marquez@silverpineclinics.org", "31000", "this_quarter", "unknown"),
    ("Demo: 300 rugged tablets", "Kwame", "Mensah", "IT director",
     "Tamarack Mining Co-op", "tamarackmining.ca", "+1 (780) 555-0306",
     "kwame.mensah@tamarackmining.ca", "180000", "next_quarter", "committee"),
)  # fmt: skip

# Leads that duplicate a base account or contact by exactly one rule:
# (rule label, topic, first, last, company, website, business phone, email).
DUPLICATE_LEADS: tuple[tuple[str, ...], ...] = (
    ("same account name", "Demo duplicate (account name): 200 office chairs", "Elena",
     "Brandt", "CONTOSO INC", "", "+1 (207) 555-0401", "elena.brandt@mailbox.example"),
    ("same account name", "Demo duplicate (account name): Printer fleet", "Marcus",
     "Feld", "fabrikam llc", "", "+1 (208) 555-0402", "marcus.feld@mailbox.example"),
    ("same website domain", "Demo duplicate (website): Coffee service", "Leah",
     "Sorensen", "Northwind Coffee Division", "https://WWW.NorthwindTraders.com/contact-us",
     "+1 (209) 555-0403", "leah.sorensen@mailbox.example"),
    ("same phone", "Demo duplicate (phone): Toy catalogue", "Derek", "Ames",
     "Tailwind Playthings", "", "(512) 555-0150", "derek.ames@mailbox.example"),
    ("same email", "Demo duplicate (contact email): Bike fleet", "Drew", "Fullerton",
     "Velocity Couriers", "", "+1 (210) 555-0405", "ANDREW.FULLER@contoso.com"),
    ("same business phone", "Demo duplicate (contact phone): Wine tasting event", "Ines",
     "Park", "Grapevine Events", "", "503.555.0205", "ines.park@mailbox.example"),
    ("same first and last name", "Demo duplicate (contact name): Office move", "JANET",
     "leverling", "Harbor Moving Partners", "", "+1 (212) 555-0407",
     "janet.l@mailbox.example"),
)  # fmt: skip
SHARED_EMAIL = "pat.keller@sharedinbox.example"
HOSTILE_TOPIC = "Literal text: [bold red]not red[/] [@click=app.quit]not a link[/] \x1b[31m"


def phone_number(areas: Sequence[str], index: int) -> str:
    """A generated number; exchanges 200-499 never meet the hand-made 555 numbers."""
    area = areas[index % len(areas)]
    exchange = 200 + (index // len(areas)) % 300
    line = (index * 7919) % 10_000
    return PHONE_FORMATS[index % len(PHONE_FORMATS)].format(a=area, e=exchange, l=f"{line:04d}")


def company_name(kinds: Sequence[str], index: int) -> tuple[str, str]:
    """(name, domain) of a generated company; index scrambled so small pools vary."""
    mixed = (index * 7_919) % (len(kinds) * len(COMPANY_ADJ) * len(COMPANY_NOUN))
    kind = kinds[mixed % len(kinds)]
    adj = COMPANY_ADJ[(mixed // len(kinds)) % len(COMPANY_ADJ)]
    noun = COMPANY_NOUN[(mixed // (len(kinds) * len(COMPANY_ADJ))) % len(COMPANY_NOUN)]
    name = f"{adj} {noun} {kind}"
    return name, f"{adj}{noun}{kind}.example".lower()
