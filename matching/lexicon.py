"""General lexicons for detail extraction: countries and their demonyms.

Deliberately generic (every country, not the ones a corpus happens to mention), so the
extractor behaves the same on data it has never seen.
"""

from __future__ import annotations

# country: demonyms (comma separated); names as commonly written in US news copy.
_COUNTRIES = """
Afghanistan:Afghan|Albania:Albanian|Algeria:Algerian|Angola:Angolan
Argentina:Argentine,Argentinian|Armenia:Armenian|Australia:Australian|Austria:Austrian
Azerbaijan:Azerbaijani|Bahamas:Bahamian|Bangladesh:Bangladeshi|Barbados:Barbadian
Belarus:Belarusian|Belgium:Belgian|Belize:Belizean|Benin:Beninese|Bhutan:Bhutanese
Bolivia:Bolivian|Bosnia:Bosnian|Brazil:Brazilian|Bulgaria:Bulgarian|Burkina Faso:Burkinabe
Burma:Burmese|Myanmar:Burmese|Burundi:Burundian|Cambodia:Cambodian|Cameroon:Cameroonian
Canada:Canadian|Cape Verde:Cape Verdean|Chad:Chadian|Chile:Chilean|China:Chinese
Colombia:Colombian|Congo:Congolese|Costa Rica:Costa Rican|Croatia:Croatian|Cuba:Cuban
Cyprus:Cypriot|Czech Republic:Czech|Denmark:Danish,Dane|Djibouti:Djiboutian
Dominican Republic:Dominican|Ecuador:Ecuadorian,Ecuadoran|Egypt:Egyptian
El Salvador:Salvadoran,Salvadorean|Eritrea:Eritrean|Estonia:Estonian|Ethiopia:Ethiopian
Fiji:Fijian|Finland:Finnish,Finn|France:French|Gabon:Gabonese|Gambia:Gambian|Georgia:Georgian
Germany:German|Ghana:Ghanaian|Greece:Greek|Grenada:Grenadian|Guatemala:Guatemalan
Guinea:Guinean|Guyana:Guyanese|Haiti:Haitian|Honduras:Honduran|Hungary:Hungarian
Iceland:Icelandic|India:Indian|Indonesia:Indonesian|Iran:Iranian|Iraq:Iraqi|Ireland:Irish
Israel:Israeli|Italy:Italian|Ivory Coast:Ivorian|Jamaica:Jamaican|Japan:Japanese
Jordan:Jordanian|Kazakhstan:Kazakh|Kenya:Kenyan|Kosovo:Kosovar|Kuwait:Kuwaiti|Kyrgyzstan:Kyrgyz
Laos:Laotian|Latvia:Latvian|Lebanon:Lebanese|Liberia:Liberian|Libya:Libyan|Lithuania:Lithuanian
Macedonia:Macedonian|Madagascar:Malagasy|Malawi:Malawian|Malaysia:Malaysian|Mali:Malian
Mauritania:Mauritanian|Mexico:Mexican|Moldova:Moldovan|Mongolia:Mongolian
Montenegro:Montenegrin|Morocco:Moroccan|Mozambique:Mozambican|Namibia:Namibian
Nepal:Nepali,Nepalese|Netherlands:Dutch|New Zealand:New Zealander|Nicaragua:Nicaraguan
Niger:Nigerien|Nigeria:Nigerian|North Korea:North Korean|Norway:Norwegian|Oman:Omani
Pakistan:Pakistani|Palestine:Palestinian|Panama:Panamanian|Paraguay:Paraguayan|Peru:Peruvian
Philippines:Filipino,Philippine|Poland:Polish,Pole|Portugal:Portuguese|Qatar:Qatari
Romania:Romanian|Russia:Russian|Rwanda:Rwandan|Saudi Arabia:Saudi|Senegal:Senegalese
Serbia:Serbian|Sierra Leone:Sierra Leonean|Singapore:Singaporean|Slovakia:Slovak
Slovenia:Slovenian|Somalia:Somali|South Africa:South African|South Korea:South Korean,Korean
South Sudan:South Sudanese|Spain:Spanish,Spaniard|Sri Lanka:Sri Lankan|Sudan:Sudanese
Suriname:Surinamese|Sweden:Swedish,Swede|Switzerland:Swiss|Syria:Syrian|Taiwan:Taiwanese
Tajikistan:Tajik|Tanzania:Tanzanian|Thailand:Thai|Togo:Togolese|Trinidad and Tobago:Trinidadian
Tunisia:Tunisian|Turkey:Turkish,Turk|Turkmenistan:Turkmen|Uganda:Ugandan|Ukraine:Ukrainian
United Arab Emirates:Emirati|United Kingdom:British,Briton|England:English
Scotland:Scottish,Scot|Wales:Welsh|United States:American|Uruguay:Uruguayan|Uzbekistan:Uzbek
Venezuela:Venezuelan|Vietnam:Vietnamese|Yemen:Yemeni|Zambia:Zambian|Zimbabwe:Zimbabwean
"""

ALIASES = {
    "u.s.": "united states", "us": "united states", "usa": "united states",
    "u.k.": "united kingdom", "uk": "united kingdom", "great britain": "united kingdom",
    "britain": "united kingdom", "burma": "myanmar", "côte d'ivoire": "ivory coast",
    "republic of ireland": "ireland", "the netherlands": "netherlands", "holland": "netherlands",
    "the philippines": "philippines", "the bahamas": "bahamas", "the gambia": "gambia",
    "democratic republic of the congo": "congo", "drc": "congo",
}  # fmt: skip


def _build() -> tuple[dict[str, str], dict[str, str]]:
    countries: dict[str, str] = {}
    demonyms: dict[str, str] = {}
    for entry in _COUNTRIES.replace("\n", "|").split("|"):
        if not entry.strip():
            continue
        name, dems = entry.split(":")
        key = name.strip().lower()
        countries[key] = key
        for d in dems.split(","):
            demonyms.setdefault(d.strip().lower(), key)
    for alias, target in ALIASES.items():
        countries[alias] = target
    return countries, demonyms


COUNTRIES, DEMONYMS = _build()
