"""voxrig's own word -> emotion lexicon, written for the project (MIT, like the rest of it):
common English emotion words in everyday and game dialogue, each with the emotions it
voices and how strongly (1.0 = a clear word, 0.5 = a hint). Written by hand so it carries no
third-party licence (docs/emotion.md); inflections are generated, not listed."""

from __future__ import annotations

from functools import lru_cache

# emotion -> {weight: words}. Base forms; `_forms` adds plurals, -ed, -ing, -ly, -y/-ies.
_WORDS: dict[str, dict[float, str]] = {
    "happy": {
        1.5: "happy happier happiest happiness joy joyful joyous delighted delight delightful "
             "thrilled overjoyed ecstatic elated glad cheerful wonderful fantastic fabulous "
             "awesome excellent marvelous marvellous brilliant superb terrific lovely adore "
             "celebrate congratulations congrats hooray yay yippee hurray blessed grateful "
             "thankful proud pleased laugh laughter hilarious",
        1.0: "love beloved great good nice fun funny enjoy enjoyable smile grin giggle cheer "
             "beautiful gorgeous pretty cute sweet kind perfect best win won winner victory "
             "success succeed triumph reward treasure gift present party festival holiday "
             "vacation relax relaxed relieved comfort cozy cosy warm friend friendship "
             "hug kiss welcome excited exciting excitement eager hope hopeful glorious "
             "magnificent splendid paradise heaven bliss blissful content satisfied pleasure "
             "pleasant amused amusing charming thank thanks yes hurrah bravo cool favorite "
             "favourite dream dreamy peaceful calm honored honoured lucky fortunate",
        0.5: "okay alright safe home together birthday wedding sun sunny "
             "bright tasty delicious yummy",
    },
    "sad": {
        1.5: "sad sadder saddest sadness unhappy miserable misery depressed depression "
             "heartbroken heartbreak grief grieve grieving mourn mourning sorrow sorrowful "
             "tears tearful weep wept cry cried crying sob sobbed lonely loneliness hopeless "
             "despair desperate gloomy devastated funeral",
        1.0: "miss missed missing lost lose loss alone empty hurt hurts pain painful ache "
             "broken regret regretful sorry apologize disappointed disappointing "
             "disappointment fail failed failure gone goodbye farewell died dead death die "
             "dying buried grave tragic tragedy pity poor unfortunate unlucky abandoned "
             "forgotten forgot rejected reject dumped divorce lonesome blue down tired "
             "exhausted weary homesick melancholy helpless worthless useless ruined",
        0.5: "never anymore nobody gray grey rain rainy cold quiet last leave left "
             "without wish wished",
    },
    "angry": {
        1.5: "angry angrier angriest anger furious fury rage raging enraged livid mad "
             "outraged outrageous hate hatred infuriating infuriated irate seething",
        1.0: "annoyed annoying annoy irritated irritating frustrated frustrating "
             "frustration resent resentment hostile bitter cheat cheated cheater cheating "
             "liar lie lied lying betray betrayed betrayal traitor selfish stupid idiot "
             "moron fool jerk bastard damn damned hell scumbag insult insulted offend "
             "offended rude unfair injustice stole steal thief demand fight punch kill "
             "revenge destroy smash slap scream shout yell curse swear threaten "
             "sick enough ruin blame accuse",
        0.5: "stop argue argument fault wrong excuse excuses refuse never dare",
    },
    "surprised": {
        1.5: "surprise surprised surprising astonished astonishing amazed astounded "
             "stunned shocked shock shocking unexpected unexpectedly unbelievable "
             "incredible speechless whoa wow omg",
        1.0: "sudden suddenly wonder wondering strange weird odd unusual believe "
             "seriously really actually honestly huh gosh goodness jeez blimey "
             "impossible mysterious mystery magic miracle discover discovered reveal "
             "revealed secret news",
        0.5: "wait what oh guess",
    },
    "afraid": {
        1.5: "afraid fear fearful scared scary terrified terror terrifying frightened "
             "frightening horror horrified horrifying petrified panic panicked dread "
             "nightmare",
        1.0: "nervous anxious anxiety worry worried worrying tense alarm alarmed threat "
             "danger dangerous risk unsafe creepy spooky eerie haunted ghost monster "
             "tremble trembling shaking shiver hide hiding escape flee run help "
             "scream trapped attack kill killer murder die death dead blood bleeding "
             "hurt wound weapon gun knife dark darkness lurking shadow stalking "
             "following footsteps uneasy insecure timid coward cowardly",
        0.5: "careful unknown alone strange noise lost crash fire storm",
    },
    "disgusted": {
        1.5: "disgust disgusted disgusting gross yuck yucky eww ew ugh blech revolting "
             "repulsive repulsed repugnant nauseating nauseous vile sickening vomit puke",
        1.0: "filthy filth dirty nasty foul rotten rotting rot mold moldy mould mouldy "
             "slime slimy stink stinky stench smelly putrid rancid sewage sewer maggot worm "
             "germs greasy sticky grime sleazy creep pervert hideous ugly horrible awful "
             "sick gag spit snot poop garbage trash dirt mud corpse cockroach rat",
        0.5: "smell smells bad weird wet",
    },
}


def _forms(word: str) -> set[str]:
    """The word and its common inflections; over-generating is harmless (non-words never
    occur in a transcript) and keeps the written list short."""
    forms = {word, word + "s", word + "es", word + "ed", word + "ing", word + "ly",
             word + "d", word + "er"}
    if word.endswith("e"):
        forms |= {word[:-1] + "ing", word[:-1] + "y"}
    if word.endswith("y") and len(word) > 2:
        forms |= {word[:-1] + "ies", word[:-1] + "ied", word[:-1] + "ily"}
    if _short_closed(word):  # sob -> sobbing, hug -> hugged, sad -> sadder
        forms |= {word + word[-1] + end for end in ("ed", "ing", "er")}
    return forms


def _short_closed(word: str) -> bool:
    """A one-syllable word ending consonant-vowel-consonant doubles its last letter."""
    vowels = set("aeiou")
    return (len(word) in (3, 4) and word[-1] not in vowels | set("wxy")
            and word[-2] in vowels and word[-3] not in vowels)


@lru_cache(maxsize=1)
def lexicon() -> dict[str, dict[str, float]]:
    """word -> {emotion: weight}. A word listed under several emotions keeps each (the
    classifier shares its evidence); an inflection keeps the strongest weight it gets."""
    out: dict[str, dict[str, float]] = {}
    for emotion, tiers in _WORDS.items():
        for weight, words in tiers.items():
            for base in words.split():
                for form in _forms(base):
                    entry = out.setdefault(form, {})
                    entry[emotion] = max(entry.get(emotion, 0.0), weight)
    return out
