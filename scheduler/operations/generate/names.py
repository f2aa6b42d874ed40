"""Name parts of generated hubs: invented names that read like English places, schools and
people. Every name is made of these, so a generated hub names no real person or school."""

from __future__ import annotations

import re

PLACE_HEADS = tuple(
    """
    Ash Oak Elm Birch Hazel Rowan Willow Alder Holly Thorn Bramble Heather Fern Moor Brook Mill
    Church Castle Bridge Kings Queens Priory Abbey Grange Stone Red White Green Long High Low North
    South East West New Fox Hart Lark Wren Raven Swan Heron Cole Marsh Wood Lang Kirk Brad Hollin
    """.split()
)
PLACE_TAILS = tuple(
    """
    field ford wood ley ton bury dale brook side gate well worth ham stead moor hurst cliffe by
    thorpe combe mere holme ridge wick croft bank hill lea don stow
    """.split()
)
SAINTS = tuple(
    """
    Aidan Cuthbert Bede Mary Joseph Patrick Anne Peter Paul Thomas Michael John Hilda Chad Wilfrid
    Margaret Benedict Teresa Francis
    """.split()
)
SCHOOL_STYLES = {
    "primary": (
        ("{p} Primary School", "-primary", 6),
        ("{p} Primary Academy", "-primary", 2),
        ("{p} Church of England Primary School", "-ce-primary", 2),
        ("{p} Community Primary School", "-primary", 1),
        ("St {s}'s Catholic Primary School", "-rc-primary", 1),
    ),
    "secondary": (
        ("{p} School", "-school", 3),
        ("{p} Academy", "-academy", 3),
        ("{p} High School", "-high", 3),
        ("{p} Community College", "-college", 1),
        ("St {s}'s Catholic High School", "-rc-high", 1),
    ),
}
FIRST_NAMES = tuple(
    """
    Aisha Alan Alice Amir Amy Anna Ben Beth Callum Carol Chloe Chris Claire Dan David Dean Diane
    Ella Emma Erin Farah Fatima Fiona Gareth Gemma Grace Hannah Harry Helen Imran Isla Jack Jade
    James Jess Joe Josh Kate Kieran Laura Leah Liam Lily Lucy Luke Maria Mark Megan Mia Nadia Nathan
    Nina Noah Olivia Omar Owen Paul Priya Rachel Raj Rhys Rosie Ruth Ryan Sam Sarah Sean Sophie
    Sunil Tariq Tom Tomasz Vera Will Yusuf Zara Zoe Kwame Ngozi Wei Mei Ines Pavel Siobhan
    """.split()
)
SURNAMES = tuple(
    """
    Ali Armstrong Ashworth Baker Barker Bell Bhatt Brennan Carr Chambers Clarke Collins Cooper Dale
    Davies Dodds Doherty Edwards Elliott Evans Forster Foster Gibson Graham Grant Green Hall Harris
    Hedley Hill Hughes Hussain Jackson James Johnson Jones Kaur Kelly Khan King Lee Lewis Malik
    Marsh Martin Mistry Moore Morgan Murphy Nowak Obi Okafor Parker Patel Pearson Phillips Price
    Quinn Raman Reid Roberts Robinson Rowe Scott Shah Shaw Singh Smith Taylor Thomas Thompson Turner
    Walker Walsh Ward Watson White Williams Wilson Wood Wright Young Zhang Chen Mensah
    """.split()
)
SPECIALIST_COMMITMENTS = ("Specialist network meeting", "Regional Maths Hubs event", "Accreditation day")
TFM_LEAD_COMMITMENTS = ("Maths Hubs national Forum", "Hub strategic board")


def slug(text: str) -> str:
    """`text` as an instance id: lowercase letters, digits and single '-'."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")
