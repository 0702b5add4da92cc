"""The cue words of the entity recogniser: titles, roles, speech verbs, name suffixes."""

from services.extract.spans import wordset

TITLES = wordset(
    "mr mrs ms dr sir dame lord lady president vice prime minister chancellor secretary "
    "governor mayor senator sen rep representative judge general gen colonel col lt captain "
    "capt sgt king queen prince princess pope archbishop bishop chief commander ambassador "
    "spokesperson spokesman spokeswoman leader speaker deputy premier sheikh prof professor "
    "coach director chairman chairwoman chair ceo gov attorney justice inspector sergeant "
    "officer envoy")
# Capitalised words that qualify a title rather than name anyone ("Foreign Secretary").
TITLE_QUALIFIERS = wordset(
    "foreign defence defense home interior finance health justice agriculture state "
    "economy energy culture education transport trade shadow former acting opposition "
    "regional military deputy vice prime district high first supreme affairs general")
ROLE_WORDS = TITLES | wordset(
    "analyst official officials chef star author founder head member lawyer spokesperson "
    "president-elect candidate activist resident researcher expert commentator adviser "
    "advisor blogger correspondent reporter economist historian journalist")
SPEECH = wordset(
    "said says told added adding stated wrote warned claimed argued replied explained "
    "insisted asked announced noted saying continued declared tweeted posted described "
    "describing")
ORG_SUFFIXES = wordset(
    "ministry office council army navy party group court agency bank inc ltd plc llc corp "
    "corporation company university college institute foundation association union "
    "department committee commission police embassy staff forces service services board "
    "parliament assembly congress senate guard brigade regiment battalion command news "
    "times post network channel airlines airways authority organisation organization "
    "federation league club centre center fund trust watchdog bureau administration "
    "conference tribunal")
ORG_HEADS = wordset("ministry department bank university institute office bureau "
                    "court council college school museum house")
PLACE_CUES = wordset("in near outside across into villages village town towns city "
                     "cities region province oblast district")
PLACE_NOUNS = wordset("airport region oblast province district county river city town "
                      "village port")
NOT_NAMES = wordset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december i the a an it he she they we "
    "you this that these those there here but and or so yet however meanwhile photos "
    "according asked earlier later next last read join please by in on at for from with "
    "after before as of to if when while since despite")
# Weekday and month abbreviations of datelines ("Mon 21 Oct"); some are also town names.
DATE_ABBREVIATIONS = wordset(
    "Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec")
NOT_ACRONYMS = wordset("TV AI CEO GDP PM AM BST GMT UTC OK MP MPs EV NFT CPI VAT DNA "
                       "HIV UGV UGVs COVID PAC ID ALL OMG VHS FAQ USB PDF")
