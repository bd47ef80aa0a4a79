"""The extraction grammar: the regular expressions the claim and fact rules apply.

They use named groups and look-arounds, so they are Python, beside the code that reads their
groups; ``rules/extract.toml`` keeps the word lists they are combined with. ``rules`` merges the
two into one ``RULES`` tree, keyed as the TOML tables are (a key here never repeats one there).
Every ``*_re`` value is a Python regular-expression fragment; ``prefilter`` holds Rust regexes.
"""

PATTERNS: dict = {
    "number": {
        # "1,000" | "2.1" | "12"
        "value_re": r'\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?',
        # multiplicative unit as it appears in abstracts, including LaTeX leftovers:
        # 2.1x  2.1×  2.1X  2.1 times  6.0times  2.4\times  $\times$  8{times}  3-fold
        "multiplier_unit_re": r'(?:\s?\$?\\times\$?|\s?\{\\?times\}|\s?times\b|\s?[x×X](?![A-Za-z0-9])|-fold\b)',
        # percent: 45%  45\%  50{%}  45 percent
        "percent_unit_re": r'(?:\s?\\%|\s?\{\\?%\}|\s?%|\s(?:percent)\b)',
        # the joint of a range: 2-4x, 5.3x to 15.2x, 4.7 sim 71.3times, 44% - 63%
        "range_joint_re": r'\s?(?:-|–|—|~|\\sim|\bsim\b)\s?|\s(?:to)\s',
        # "between 1.5 and 2x"
        "between_re": r'between\s',
        # "from 51.1% to 62.5%" states two absolute values, not a change
        "range_not_preceded_re": r'\bfrom\s+$',
        # a multiplicative unit directly followed by another number is a dimension ("16x16", "8times 8")
        "dimension_tail_re": r'\s?\d',
    },
    "word_numbers": {
        "rules": {
            # "half-precision", "half of the heads" (a fraction, not a factor) are no multipliers
            "not_followed_by_re": r'-|\s+of\s+(?:the\s+)?(?:attention|heads|layers|tokens|experts)',
            # "across an order of magnitude of compute" is a span, not a claim
            "not_preceded_by_re": r'\b(?:across|spanning|spans|span|covering)\s+$',
            # "cardinal times" joint
            "times_re": r'(?:\s|-)(?:times|fold)\b',
        },
    },
    # Rust-regex (Polars) triggers: only abstracts matching them get per-abstract Python regex.
    # They must over-approximate the patterns (a miss here is a miss everywhere). The code
    # reads \b as an ASCII word boundary and \s as Python's whitespace (etl.textscan.rust_over).
    "prefilter": {
        "claims_re": r'(?i)\d\s?\$?(?:[x×%]|\\%|\{\\?%\}|\{?\\?times|-fold|\s(?:times|fold|percent))|twice|doubl|tripl|quadrupl|half|halv|orders? of magnitude|(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|fifty|hundred|thousand)[\s-](?:times|fold)',
        # per fact pattern: facts_from_texts scans a pattern (in Rust, see etl.extract.facts.FACT_SCANS) only on
        # the rows where its trigger fires, so each trigger must be a necessary condition of its pattern
        "facts": {
            # hardware: every pattern of [facts.hardware] contains one of these (a device number, a brand, a family)
            "hardware": r'[AHVBLT]\d\d|RTX|NVIDIA|Nvidia|\d{4}\sGPU|\d-\d{4}|B200|Blackwell|Hopper|Jetson|AGX|DGX-|TPU|MI\d{3}|Alveo|Versal|Ascend|Gaudi|CPU|FPGA|NPU|x86|ARM|Arm\s|RDU|Raspberry|Dimensity|Apple|M\d\s|[TLPKM]\d|A\d000|Trainium|Inferentia|Graphcore|IPU|LPU|SN\d0|Xeon|EPYC|Grace',
            # the abstract patterns of [facts.system] start with "we <verb>" or "called/named/..."
            "system": r'\b[Ww]e\s+(?:\w+\s+)?(?:propose|present|introduce|develop|design|build|implement|name|call)|(?:called|named|dubbed|termed)\s',
            # model sizes: one trigger per pattern of facts.model_size.patterns (spelled sizes need
            # "param..." after them; compact and range sizes a digit + unit)
            "model_sizes": {
                "spelled": r'(?i)param',
                "compact": r'\d\s?[BbT]\b',
                "range": r'\d\s?[MBT]\s*(?:to|-|–)',
                "bare": r'(?i)(?:billion|trillion)-',
            },
            # GPU counts: a digit or a count word, then (later) an accelerator noun
            "gpu_counts": {
                "count": r'(?i)\d.*(?:gpu|tpu|npu|accelerator|gcd|rdu|ipu|lpu)',
                # counts beside a device model ("8xA100", "64 H100s", "an A100", "1K GPUs", "two nodes of 8 GPUs")
                "device": r'(?i)(?:\d|\b(?:an?|one|two|three|four|five|six|seven|eight|ten|twelve|sixteen|single|dual|quad|thirty|sixty))\s*[x×]?\s*(?:nvidia\s+|amd\s+|intel\s+|google\s+|aws\s+|huawei\s+|habana\s+|geforce\s+|tesla\s+|instinct\s+|cloud\s+|\d+\s?gb\s+)*(?:[ahvblt]\d|p100|k80|mi\d|rtx|a\d000|gh200|gb200|gaudi|tpu|trainium|inferentia|sn\d|ascend)|\d\s?k\s|\d-[a-z]*\d+\s+(?:nodes?|servers?|machines?|box)|\d\s*(?:-gpu|[x×]\s*\w+)\s+(?:nodes?|servers?|machines?|hosts?|instances?)|\d\s+[\w-]+\s+(?:nodes?|servers?|machines?|hosts?|instances?)|(?:nodes?|servers?|machines?|hosts?|instances?)\s*,?\s*(?:of|with|each|containing|×|x|\()',
                "word": r'(?i)(?:single|one|two|three|four|eight|sixteen|dual)\s.*(?:gpu|tpu|npu|accelerator)',
            },
        },
    },
    "sentences": {
        # a sentence ends at [.!?] + whitespace before a capital, digit, bracket or quote; Rust regex (sentences
        # are split in Polars): the groups are (end mark)(whitespace)(next sentence's first character)
        "boundary_re": r'([.!?])(\s+)([A-Z0-9(\[“"\\])',
    },
    "qualifiers": {
        # "on average" right after the number ("30% geomean", "16% on average")
        "after_re": r'\s*(?:\)?\s*)(?:on average|in average|geomean|on geomean|in geomean|geometric mean|averaged|average)\b',
        # "average" a few words before the number ("average relative improvements of 1.85x")
        "average_window_re": r'\baverage\b|\bon average\b|\bgeomean\b',
    },
    "direction": {
        # "20-26% higher kernel latency", "8% more memory": more of a lower-is-better metric is a regression
        "worse": {
            "after_re": r'\s*(?:higher|more|larger|greater|increased|extra|additional)\s+(?:[\w-]+\s+)?$',
            "not_noun_re": r'(?i)efficien|saving|reduction|compression|throughput|performance|per\s+dollar|/\$',
        },
        # "X% of the baseline's compute" / "reduce it to X%" -> multiplier 100/X
        "fraction": {
            "after_re": r'\s*of\s+(?:the\s+|their\s+|its\s+|that\s+of\s+)?',
            "before_re": r'(?:(?<!up\s)\bto|\bonly|\bjust|\brequires|\buses|\busing|\butilizing|\bneeds)\s*$',
        },
    },
    "metrics": {
        # "X reaches 421,000 SPS, which is 54x faster than Y (7699 SPS)": a bare "faster" measured in a rate
        # is a throughput claim (the number compares rates)
        "rates": {
            "rate_re": r'(?i)\b(?:tokens?/s|tokens?\s+per\s+second|requests?\s+per\s+second|queries\s+per\s+second|qps|steps[-\s]per[-\s]second|sps|frames\s+per\s+second|fps|samples?/s|samples\s+per\s+second|images?/s)\b',
        },
        "scoring": {
            # an idiom, not the metric: "2.2x at the cost of 8% more memory"
            "idiom_before_re": r'\bat\s+(?:the|a|an)\s+(?:\w+\s+)?$',
            # clause breaks cost `clause_penalty` each; a comma inside a list of numbers ("2.8x, 3.3x, and 2.4x") is none
            # (an appositive name between commas, "the previous method, Medusa, by 37%", is no clause break)
            "clause_break_re": r'[;:]|\s(?:while|whereas|with)\s|,(?!\s*(?:and\s+|or\s+)?(?:by\s+)?(?:up\s+to\s+)?[\d~])(?!\s*[A-Z][\w.+\-]*\s*,)',
        },
    },
    "out_of_scope": {
        # growth trends of the field, not results of the work ("doubling every few months", "have grown 1000x")
        "trend_re": r'\b(?:every\s+(?:\w+\s+)?(?:years?|months?|generations?|decade)|for\s+every|scaling\s+laws?|each\s+year|per\s+year|annually|grown|grew|growth|has\s+grown|have\s+grown|(?:projected|expected|forecast|predicted|anticipated|estimated)\s+to\s+(?:grow|increase|rise|reach))\b',
        # absolute figures that look like claims: "55.2% MFU", "90% scaling efficiency", "40% of peak"
        "absolute_re": r'(?:of\s+(?:the\s+)?peak|scaling efficienc|weak scaling|strong scaling|gpu throughputs of|utilization\)|failure rates?)',
    },
    # numbers that describe the problem, not the work's result (GUIDE section 3): etl.extract.claims.describes_problem
    "not_claims": {
        # a share of a total stated by its verb: "attention takes 70% of decode time", "prior systems lose up to
        # 40% of their throughput", "keeps 99% of requests within the SLO" (qualifiers may stand between)
        "share_verb_re": r'\b(?:wastes?|wasted|wasting|loses?|lost|losing|accounts?\s+for|accounting\s+for|takes?|took|taking|consumes?|consumed|consuming|occupies|occupy|occupied|spends?|spent|represents?|comprises?|constitutes?|keeps?|kept|meets?|meeting|satisfies|satisfy|attains?|concentrates?\s+on|dominates?|make\s+up|makes\s+up|covers?)\s+(?:(?:up\s+to|about|around|roughly|nearly|over|more\s+than|less\s+than|fewer\s+than|only|just|as\s+much\s+as|almost|approximately|~)\s+)?$',
        # a share as the subject of its clause: "80% of requests share a prefix", "90% of the attention mass"
        "share_subject_before_re": r'(?:^|[,;:]\s*|\b(?:that|where|while|and|in|since|because)\s+)(?:(?:up\s+to|about|around|roughly|nearly|over|more\s+than|only|just|almost|approximately)\s+)?$',
        "share_after_re": r'\s+of\s+(?:the\s+|all\s+|their\s+|its\s+)?(?:[\w-]+\s+){0,3}?(?:requests?|tokens?|queries|jobs?|users?|time|runtime|mass|cases|workloads?|traces?|samples?|inputs?|parameters|weights|memory|compute|cycles|latency|iterations?)\b',
        # "on fewer than 10% of the tokens", "for 95% of requests"
        "share_after_preposition_re": r'\b(?:on|in|for|within|across)\s+(?:(?:fewer|less|more)\s+than\s+|only\s+|just\s+|up\s+to\s+|over\s+)?$',
        # a cheap test before problem_verb_re: one of its verb stems
        "problem_trigger_re": r'\b(?:inflat|wast|los|suffer|degrad|stall|underutiliz|bloat|slow|hurt)',
        # a problem verb governs the number: "stragglers inflate tail latency by 3x in existing systems"
        "problem_verb_re": r'\b(?:inflates?|inflated|inflating|wastes?|wasted|loses?|lost|suffers?|suffered|degrades?|degraded|stalls?|underutiliz\w+|bloats?|bloated|slows?\s+down|hurts?)\b(?:\s+[\w-]+){0,5}\s+(?:by\s+)?(?:up\s+to\s+|about\s+|nearly\s+|over\s+)?$',
    },
    "baseline": {
        # lead-ins with words between: "compared our approach with X"
        "lead_in_res": [
            # "reduce it to 64% of that of the dense model"
            r'\bof\s+that\s+of\b',
            r'\bcompar(?:ed|ing|e)\s+(?:\w+\s+){1,3}?(?:with|to|against)\b',
            # "2x the throughput of X", "3x the tokens per second of X", "matches the accuracy of X while ..."
            r'(?:(?<=[x×%]\s)|(?<=times\s))the\s+(?:[\w/-]+\s+){0,3}?(?:throughput|speed|performance|tokens\s+per\s+second|latency|memory|cost|efficiency|bandwidth|goodput)\s+of\b',
            r'\bmatch(?:es|ed|ing)?\s+the\s+(?:[\w-]+\s+){0,2}?(?:accuracy|quality|performance|throughput|speed)\s+of\b',
        ],
        # a lead-in followed by a number or qualifier is no baseline ("more than 10x", "over 20%")
        "not_followed_by_re": r'\s*(?:a\s+|an\s+)?(?:[~>≈∼]|\d(?![\d,.]*-[A-Za-z])|half\b|twice\b|doubl|an\s+order\b|orders\b|(?:one|two|three|four|five|six|seven|eight|nine|ten|several|hundreds|thousands|millions|billions)\b|the\s+course\b|time\b|\$)',
        # a lead-in preceded by these is a construction, not a comparison ("rather than")
        "not_preceded_by_re": r'(?:rather|other)\s*$',
        # the baseline noun phrase ends before these
        "stop_re": r'''(?x)
    \s*[,;:.!?](?:\s|$)
  | \s+(?:on|for|across|under|when|while|whereas|by|at|during|using|via|through|without|maintaining|achieving|
          respectively|which|that|where|thus|thereby|and\s+(?:by|achieves|reduces|improves|increases|delivers|enables|
          obtains|yields|up\s+to|\S+\s*(?:x|×|times|%))|from|into|to\s+(?:\d|achieve|reach)|in\s+terms\s+of|
          in\s+the\s+presence|in\s+(?:end-to-end|inference|training|throughput|latency|speed|prefill|decod|performance|accuracy|efficiency|quality)|
          with\s+(?:\S+\s+){0,3}?(?:\d|speedups?|up\s+to|higher|lower|less|fewer|only|comparable|similar|no|negligible)|
          while|shows?|is|are|was|were|can|could|would|will|across|but|
          and\s+(?:outperforms?|surpass(?:es)?|beats?|exceeds?|matches|delivers?|provides?|offers?|attains?|maintains?|is|are))\b
  | \s+and\s+(?=(?-i:[a-z(\d]))(?:\S+\s+){0,2}?\d
  | \s+(?:over|about|nearly|around|approximately|roughly|up\s+to)\s+\d
  | \s*\((?=\s*\d)
  | \s*--
  | \s+\d+(?:\.\d+)?\s*(?:x|×|times|\\times|%|\\%)
  | (?:'s|’s)\s+\d
  | $''',
        # leading words trimmed from the phrase
        "strip_leading_re": r'^(?:(?:or|and)\s+\w+(?:ed|s)\s+|all|even|corresponding|respective|those\s+of|that\s+of|that\s+of\s+the|the\s+performance\s+of)\s+',
        # what is left is no baseline when it is only one of these words
        "empty_re": r'(?:the|a|an|this|that|these|those|it|them|ours|its|their)',
        # "reduces the communication volume of ZeRO by 4x": the named owner of the metric is the baseline
        "of_name_by_re": r'\bof\s+(?P<name>[A-Z][\w.+\-]*(?:\s+[A-Z][\w.+\-]*)?)\s+by\b',
        # "'s" left dangling before a stripped number ("Diffusion Policy's 100")
        "strip_trailing_re": r"(?:'s|’s|\s*\[[\d,\s–-]+\]|\s+(?:baseline\s+)?(?:by|in|of|and|the|a|an|with))+$",
        "appositive_name_re": r'[A-Z][\w.+\-]*[A-Z0-9][\w.+\-]*|[A-Za-z][a-z]*[A-Z][\w.+\-]*',
        # named examples of a generic baseline: "existing compilers like Triton and Ladder", "kernels such as QuantLLM"
        "examples_re": r'\b(?:like|such\s+as|including|e\.g\.,?|namely)\s+(?P<names>[A-Z][\w.+\-]*(?:\s+[A-Z0-9][\w.+\-]*)*(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)[A-Z][\w.+\-]*(?:\s+[A-Z0-9][\w.+\-]*)*)*)',
        # a generic baseline run with a named one: "offloaded inference using the popular Huggingface Accelerate" -> the name
        "named_after_re": r'\s+(?:using|with|via|in|on|through)\s+(?:the\s+)?(?:(?:emerging|popular|widely[-\s]used|well[-\s]known|standard|default|official|original)\s+)?(?P<name>[A-Z][\w.+\-]*(?:\s+[A-Z0-9][\w.+\-]*)*)',
        # an epithet before a name: "the emerging Swin-B" -> "Swin-B", "the popular Huggingface Accelerate"
        "leading_epithet_re": r'^(?:the\s+)?(?:emerging|popular|widely[-\s]used|well[-\s]known|famous|prominent|celebrated|recently[-\s]proposed)\s+(?=[A-Z0-9])',
        # a lead-in across a clause boundary (";", "while", ", and it") is clause_break_words farther
        "clause_break_re": r';|\s(?:while|whereas|but)\s|,\s*(?:and|but)\s+(?:it|its|they|the|our|we|this)\b',
        # a baseline from the previous sentence carries over when that sentence framed the comparison
        # ("Compared to X, ..." at its start, or "... outperforms X ...")
        "carry_over_re": r'^(?:compared\s+(?:to|with)|in\s+comparison\s+(?:to|with)|relative\s+to|against)\b|\b(?:outperform(?:s|ed)?|surpass(?:es|ed)?)\b',
    },
    "facts": {
        "model_size": {
            "patterns": {
                # "LLaMA2-7B", "OPT 66B", "Llama 3.1 8B", "175B", "8x7B" (multiplied out), "13B parameter"
                "compact": r'(?:(?<=sim)|(?<=\\sim)|(?<![\w.]))(?:(?P<experts>\d+)[x×])?(?P<n>\d+(?:\.\d+)?)\s?(?P<s>[BbT])(?![\w])(?!\s*(?:tokens?|bytes?|words?|images?|samples?|pairs?|examples?|instructions?|sentences?|documents?|steps?|experiences?|frames?|rows?|edges?|nodes?|users?|queries|requests|flops?|lookups?|records?|entries|vectors?|embeddings?|keys?|items?|events?|transactions?|messages?|calls?|operations?|ops|reads?|writes?|lines?|pages?|files?|visits?|clicks?|views?|hits?|videos?|points?|parameters?\s+are\s+active|are\s+active|active|activated)\b)',
                # "1.3 billion parameters", "5.7M parameters", "500-billion parameter models", "1.5 trillion parameters"
                "spelled": r'''(?x)(?:(?<=sim)|(?<![\w.]))(?P<n>\d+(?:\.\d+)?|one|two|three|four|five|ten|a)[\s-]?(?P<s>[KkMmBbTt]|thousand|million|billion|trillion)
    (?=(?:\s*,?\s*(?:and\s+)?\d+(?:\.\d+)?[\s-]?(?:[KkMmBbTt]|thousand|million|billion|trillion)\b)*[\s-]+(?:\w+[\s-]+)?(?:parameters?|params)\b)''',
                # "trillion-parameter", "billion-parameter scale" (no number: one unit)
                "bare": r'\b(?P<s>billion|trillion)-(?:parameters?|scale)\b',
                # "from 124M to 1.5B": the first end of a size range (the second is found on its own)
                "range": r'(?<![\w.])(?P<n>\d+(?:\.\d+)?)\s?(?P<s>[MBT])\s*(?:to|-|–)\s*\d+(?:\.\d+)?\s?[BT]\b',
                # a mixture of experts written as "8x7B" is no total when the total is stated ("46.7B total parameters")
                "stated_total_re": r'(?i)\b\d+(?:\.\d+)?\s?[BT]\s+(?:total\s+)?(?:parameters?\s+)?(?:in\s+)?total\b',
                # compact sizes must sit next to a model name or a model word
                "compact_context_re": r'[A-Za-z][\w.]*[-\s]+(?:\d+(?:\.\d+)?[-\s])?$|\(\s*$|^\s*(?:[\w-]+\s+)?(?:parameters?|params|models?|llms?|lms?|dense|moe|transformers?|student|teacher|base|instruct|chat)\b',
                # ranges of magnitude that are projections, not sizes
                "not_preceded_by_re": r'(?:hundreds|tens|thousands|billions|trillions)\s+of\s*$',
            },
        },
        "gpu_count": {
            # accelerator nouns that are counted
            "accelerators_re": r'(?:gpus?|gpu\s+cards?|tpus?(?:\s?v\d\w*)?(?:\s+(?:chips?|cores?))?|npus?|accelerators?|gcds?|rdus?(?:\s+sockets?)?|ipus?|lpus?|(?:trainium|inferentia|gaudi)\d?\s+(?:chips?|accelerators?))\b(?!\s*-?\s*(?:hours?|hrs?|days?|years?|time|memory|utilization|kernels?|seconds?))',
            # consumer GPU model numbers ("on 4090 GPU") are devices, not counts
            "device_numbers_re": r'(?:[1-5]0[5-9]0|[1-9]080|1660)(?!\d)',
            # optional device model between the count and the noun ("48 A100 GPU cards", "32 NVIDIA A100 GPUs")
            "device_between_re": r'(?:(?:nvidia|amd|intel|google|cloud|huawei)\s+)?(?:[A-Za-z]*\d+[A-Za-z0-9-]*(?:\s+(?:sxm\d?|pcie|\d+\s?gb))*\s+|rtx\s+\d+\s+|(?:geforce|tesla|instinct|ascend|gaudi\d?)\s+\S+\s+|(?:ascend|gaudi|trainium|inferentia|tpu)\w*\s+|pcie\s+\S+\s+)?',
            # "2,048 GPUs", "8-GPU node", "384 GPU scale"
            "count_re": r'(?<![\w.,])(?<!gaudi\s)(?<!trainium\s)(?<!inferentia\s)(?<!ascend\s)(?<!rtx\s)(?<!gtx\s)(?<!geforce\s)(?<!nvidia\s)(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:-|\s)',
            # counts written with a device model and no accelerator noun, and totals over nodes (GUIDE section 3);
            # DEVICE and WORDS are placeholders (etl.extract.facts._device_count_rule)
            "device_counts": {
                # accelerator models a count can stand before: "8xA100", "64 H100s", "eight A100s", "a single RTX 4090"
                "device_re": r'(?:(?:NVIDIA|Nvidia|AMD|Intel|Google|AWS|Huawei|Habana)\s+)?(?:GeForce\s+|Tesla\s+|Instinct\s+|Cloud\s+)?(?:[AHVBL]\d{2,3}[SG]?|[TL]4|P100|K80|MI\d{3}[XA]?|RTX\s?A?\d{4}(?:\s?Ti)?|A[2-6]000|GH200|GB200|Gaudi\s?\d?|TPU\s?v\d\w?|Trainium\d?|Inferentia\d?|SN\d0L?|Ascend(?:\s?9\d+\w*)?)',
                # "8xA100", "8x A100 GPUs" (n x device), "64 H100s" (a plural device)
                "numeral_re": r'(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:\s*[x×]\s*(?P<dev>DEVICE)(?![\w-])(?!\s*(?:GPUs?\s+)?(?:throughput|performance|speed|efficiency|latency|memory|cost|energy|faster|higher|lower|more|less|better)\b)|\s+(?P<devs>DEVICE)s\b)',
                # "eight A100s", "a single RTX 4090", "an A100 GPU", "one H100"
                "word_re": r'(?<![\w-])(?P<w>WORDS|an?)\s+(?:(?:\d+\s?GB|NVIDIA|Nvidia)\s+)?(?P<dev>DEVICE)(?P<plural>s)?\b(?!\s*(?:memory|HBM|-\w))',
                # "1K GPUs", "2k H100 GPUs"
                "thousands_re": r'(?<![\w.,])(?P<n>\d+(?:\.\d+)?)\s?[Kk]\s+(?:DEVICE\s+)?(?:GPUs|TPUs|NPUs|accelerators)\b',
                # "two nodes of 8 GPUs", "4 nodes with 8 A100 GPUs each", "2 x 8 GPUs" -> the total used
                "nodes_re": r'(?<![\w.,-])(?P<nodes>\d+|WORDS)\s+(?:[\w-]+\s+)?(?:nodes?|servers?|machines?|hosts?|instances?)\s*(?:,\s*)?(?:of|with|each\s+with|each\s+having|containing|×|x|\()\s*(?P<per>\d+|WORDS)\s*(?:[x×]\s*)?(?:DEVICE\s*)?(?:GPUs?|TPUs?|NPUs?|accelerators?|DEVICEs?)\b',
                # "two 8-GPU nodes", "4 8xA100 servers"
                "nodes_compact_re": r'(?<![\w.,-])(?P<nodes>\d+|WORDS)\s+(?P<per>\d+)(?:-GPU|\s*[x×]\s*DEVICE)\s+(?:nodes?|servers?|machines?|hosts?|instances?)\b',
                # "an 8-4090 node", "a 4-A100 server": the count of the node's devices
                "device_node_re": r'(?<![\w.,])(?P<n>\d+)-(?:DEVICE|[1-5]0[5-9]0)\s+(?:nodes?|servers?|machines?|box(?:es)?)\b',
                # a motivating figure, not what the work used: "it requires 800 V100 GPUs just to fit ...", "training
                # GPT-3 needs 1,000 GPUs" (but "requires only 8 GPUs" is the work's)
                "motivation_before_re": r'\b(?:requires?|requiring|needs?|needed|needing|would\s+(?:need|require|take)|demands?|consumes?)\s+(?!(?:only|just|merely|as\s+few\s+as|a\s+single|one)\b)(?:[\w,]+\s+){0,2}$',
                # a capacity, not a count of GPUs used: "the memory of a single GPU", "fits in one GPU's memory"
                "capacity_before_re": r'(?:memory|capacity|HBM|DRAM)\s+(?:of|on|in)\s+(?:the\s+)?$',
                "capacity_after_re": r'(?:\s*(?:GPU|device))?(?:\x27s|’s)\s+(?:memory|capacity|HBM)',
            },
        },
        "hardware": {
            # device mentions as written; normalise.hardware_family() maps them to short names
            "patterns": [
                r'\b(?:NVIDIA\s+|Nvidia\s+|nvidia\s+)?(?:Tesla\s+)?(?:DGX[-\s]?)?[AHVBLT]\d{2,3}[SG]?(?:[-\s]?(?:\d+\s?GB|SXM\d?|PCIe|NVL|\d+G))*(?=s?\b)',
                r'\b(?:NVIDIA\s+|Nvidia\s+)?(?:Tesla\s+)?(?:[TL]4|P4|P40|P100|K80|K40|M40|M60)\b(?!\s*(?:model|bytes?|tokens?|-\w))',
                r'\b(?:NVIDIA\s+|Nvidia\s+)?(?:RTX\s+)?A[2-6]000(?=s?\b)',
                r'(?:NVIDIA\s+|Nvidia\s+)?(?:GeForce\s+)?RTX\s?(?:A)?\d{4}(?:\s?Ti)?(?=s?\b)',
                r'(?:NVIDIA\s+|Nvidia\s+)(?:GeForce\s+)?\d{4}\b',
                r'\b\d{4}\s(?=GPU)',
                r'\b(?<=\d-)[1-5]0[5-9]0\b(?=\s+(?:node|server|machine|box|GPU))',
                r'\bGH200\b|\bGB200\b|\bB200\b|\bBlackwell\b|\bHopper\b|\b(?:Ampere|Turing|Volta|Ada\s+Lovelace)\b(?=[\s-]+(?:GPUs?|architecture|generation))',
                r'\bJetson\s+(?:AGX\s+|Orin\s+)?(?:Orin|Xavier|Nano|TX[12]|Thor)(?:\s+NX)?\b|\bAGX\s+Orin\b',
                r'\bDGX-\d\b',
                r'(?:Cloud\s+|Edge\s+)?TPU\s?v\d\w?\b|\bEdge\s+TPU\b',
                r'(?:AMD\s+)?(?:Instinct\s+)?MI\d{3}[XA]?(?=s?\b)',
                r'(?:Xilinx\s+|AMD\s+)?(?:Alveo|Versal)\s+[A-Z]+\d+\w*',
                r'\b(?:Huawei\s+)?Ascend(?:\s?\d+\w*)?\b',
                r'\b(?:Intel\s+|Habana\s+)?Gaudi\s?\d?\b',
                r'\b(?:AWS\s+)?(?:Trainium|Inferentia)\s?\d?\b',
                r'\b(?:Graphcore\s+)?IPUs?\b|\bGraphcore\b',
                r'\b(?:Groq\s+)?LPUs?\b',
                r'\b(?:SambaNova\s+)?SN\d0L?\b',
                r'\b(?:Intel\s+)?Xeon(?:\s+(?:Platinum|Gold|Silver|Phi|Max))?(?:\s+\d{4}\w*)?\b',
                r'\b(?:AMD\s+)?EPYC(?:\s+\d{4}\w*)?\b',
                r'\bNVIDIA\s+Grace(?:\s+(?:Hopper|CPU))?\b|\bGrace\s+(?:Hopper|CPU)\b',
                r'\bCPUs?\b',
                r'\bFPGAs?\b',
                r'\bNPUs?\b',
                r'\bx86(?:-64|_64)?\b',
                r'\bARM(?:[-\s]+Cortex[-\s]A\d+)?\b|\bArm\s+(?:CPUs?|processors?)\b',
                r'\bRDUs?\b',
                r'\bRaspberry\s+Pi(?:\s+\d)?(?:\s+Model\s+[A-Z])?',
                r'\b(?:MediaTek\s+)?Dimensity\s+\d+',
                r'\bApple\s+M\d\w*|\bM[1-4]\s+(?:Pro|Max|Ultra)\b',
            ],
            # a CPU counts only when the work runs on it, not as "CPU memory" / "CPU-GPU"
            "not_followed_by_re": r'\s+(?:utilization|usage|performance|speculative)',
            # device classes (CPU, FPGA, NPU) and instruction-set families (x86, ARM) count only when the
            # work runs on them (GUIDE section 3): etl.extract.setting.keep_device reads these around each mention
            "classes": {
                # the mentions these rules apply to (as written)
                "class_re": r'(?i)^(?:CPUs?|FPGAs?|NPUs?|x86(?:-64|_64)?|ARM|Arm\s+(?:CPUs?|processors?))$',
                # the work runs on it: "on commodity CPUs", "implemented on FPGAs", "targeting x86"
                "runs_on_before_re": r'(?i)\b(?:on|onto|in|targeting|to\s+run\s+on|across|spanning)\s+(?:(?:a|an|the|its|our|such|these|their|both|either|multiple|various|different|several|many|single|commodity|modern|mainstream|low-end|high-end|low-power|edge|embedded|mobile|multi-core|many-core|multicore|general-purpose|consumer|server|desktop|off-the-shelf|commercial|heterogeneous|Intel|AMD|Arm|ARM|x86|Xilinx|\d+-core)[\s-]+){0,3}$',
                # a class word after a kind word or a named model: "low-end CPUs", "Alveo U280 FPGA", "Ascend NPU"
                "kind_before_re": r'(?i)(?:\b(?:Xeon|EPYC|Core|Ryzen|Cortex[-\s]A\d+|Graviton\d?|Grace|Ascend|Alveo|Versal|Xilinx|Intel|AMD|Qualcomm|Snapdragon|Huawei|Kunpeng|Apple|Exynos|Hexagon|commodity|mainstream|low-end|low-power|edge|embedded|mobile|multi-core|many-core|general-purpose|consumer|off-the-shelf)|\b[A-Z][\w-]*\s?[A-Z]?\d+\w*)[\s-]+$',
                # "CPU devices", "FPGA accelerator", "FPGA-based", "CPU Architectures", "x86 platforms"
                "kind_after_re": r'(?i)^[\s-]*(?:accelerators?|based|implementation|platforms?|devices?|architectures?|prototype|chips?|boards?|SoCs?|processors?|inference|hardware|servers?|machines?|nodes?|clusters?|CPUs?|designs?|engines?|backends?|kernels?|overlays?)\b',
                # a passing mention: "CPU memory", "CPU-GPU", "CPU, memory, and storage", "GPU and CPU memories",
                # "offloaded to CPU", "SSD-CPU communication"
                "passing_after_re": r'(?i)^(?:[\s-]*(?:memory|memories|DRAM|RAM|usage|utili[sz]ation|resources?|cores?|time|overhead|bandwidth|side|offload\w*|threads?|cycles?|baselines?|caches?|swap\w*|/GPU|-GPU|to-GPU)\b|(?:\s*(?:,|and|or|/)\s*(?:and\s+)?[\w-]+){1,3}\s+(?:memory|memories|bandwidth|storage|DRAM)\b|\s*,\s*(?:memory|storage|network|disk)\b)',
                "passing_before_re": r'(?i)(?:\b(?:to|from|between|via|host)\s+(?:the\s+)?|[\w]-|\b(?:saved|stored|copied|offload\w*|swapp?\w*|moved|transferred|kept|cached|spill\w*)\s+(?:\w+\s+){0,3}(?:on|to|in)\s+(?:the\s+)?)$',
                # named only as what the work is compatible with: "interconnects such as Huawei Ascend"
                "compatible_re": r'(?i)\b(?:such\s+as|e\.g\.,?|including|like)\s+(?:\w+\s+){0,2}$',
                "compatible_context_re": r'(?i)\b(?:compatib\w*|adapt\w*|portab\w*|interconnects?|supports?|seamless\w*)\b',
            },
        },
        "system": {
            # "Next Block Prediction: ..." with "Next Block Prediction (NBP)" in the abstract -> the acronym
            "acronym_after_re": r'\s+\((?P<acronym>[A-Z][\w-]*[A-Z][\w-]*)\)',
            # "we propose X, a ...", "a system called X", "(ACRONYM)"
            "abstract_res": [
                r'\b(?:we|We)\s+(?:\w+\s+)?(?:propose|present|introduce|develop|design|build)\s+(?P<name>[A-Z][\w.+\-^{}@]+),\s+(?:a|an|the)\b',
                r'\b(?:we|We)\s+(?:\w+\s+)?(?:propose|present|introduce)\s+(?:a|an)\s+(?:[\w-]+\s+){0,4}?[\w-]+,\s+(?P<name>[A-Z][\w.+\-^{}@]+),',
                r'\b(?:we|We)\s+(?:propose|present|introduce|develop|design|build|implement|name|call)\s+(?:a\s+(?:new|novel)\s+[\w\s-]{0,60}?,\s+)?(?P<name>[A-Z][\w.+\-^{}]*[A-Z0-9][\w.+\-^{}]*|[A-Z][a-z]+[A-Z][\w.+\-]*)\s*(?:,|\(|\bwhich\b|\bthat\b|:)',
                r'\b(?:called|named|dubbed|termed)\s+(?P<name>[A-Z][\w.+\-^{}]*[A-Z0-9][\w.+\-^{}]*|[A-Z][a-z]+[A-Z][\w.+\-]*)',
                r'\b(?:we|We)\s+(?:propose|present|introduce|develop|design)\s+(?:an?\s+)?(?:new\s+|novel\s+|innovative\s+)?[A-Z][\w-]*(?:\s+[A-Z(][\w-]*){1,5}\s+\((?P<name>[A-Z][\w-]*[A-Z][\w-]*)\)',
            ],
        },
    },
    # per-claim setting (GUIDE section 4): etl.extract.setting binds the model sizes, GPU counts and devices
    # stated in a claim's sentence to the claim(s) of that sentence by these rules (see its docstring for the order)
    "setting": {
        # a clause boundary: a setting mention never binds across it to a claim of another clause
        "clause_break_re": r';|\s(?:while|whereas|but)\s|,\s*(?:which|while|whereas|but)\b',
        # between a claim and a later mention, one of these starts the next claim's own segment
        # ("2.1x on 7B, and 3.4x on 70B": 70B is the second claim's)
        "segment_break_re": r',|;|\band\b|\bwhile\b|\bwhereas\b',
        # mentions of one field joined only by these form one list ("on 7B and 70B models", "LLaMA-7B, 13B and 70B")
        "list_joint_re": r'^[\s,]*(?:(?:and|or|to|as\s+well\s+as)\s+)?(?:[A-Za-z][\w.]*[-\s]+){0,2}$|^\s*[-–/]\s*$',
        # "..., respectively" distributes a list of settings over the list of claims, in order
        "respectively_re": r'\brespectively\b',
        # the setting of the baseline when the comparison names only that: "2.3x cheaper than on TPU v4"
        "baseline_setting_re": r'\b(?:than|versus|vs\.?|compared\s+(?:to|with)|relative\s+to)\s+(?:when\s+|running\s+|run\s+|served\s+|deployed\s+)?(?:on|with|using)\s+(?P<setting>[^,;.()]+)',
        # the sentence right before a claim sets up its measurement when it reads like one
        # ("On 64 A100 GPUs, X trains GPT-3 175B." / "We evaluate X on 8 H100s.")
        "setup_re": r'^(?:On|Using|With|Running|Deployed|Evaluated|Trained|Across|When)\b|\b(?:[Ww]e\s+(?:evaluate|deploy|run|train|test|benchmark|implement)|(?:evaluated|deployed|trained|tested|benchmarked|implemented|measured|running|experiments?)\s+(?:\w+\s+){0,3}?(?:on|using|with)|(?:evaluations?|experiments?)\s+(?:\w+\s+){0,3}?(?:on|using|with))\b',
    },
    # text clean-up (etl.extract.cleanup), applied to a copy of the abstract before extraction (issue 11)
    "cleanup": {
        # Rust regex: an abstract where none of the rules below can fire is read as it is
        "trigger_re": r'\$|\\[a-z%]|\{times\}|--|−|[–—]|[a-z]-\s|\d\s\.\s\d',
        # every rule's match starts with one of these (a look-ahead that lets the scan skip other positions)
        "first_characters_re": r'(?=[$\\{\s\-−–—])',
        "rules": {
            # "$2.1\times$", "$\sim$3x": math delimiters around numbers and commands
            "math_dollar": {"re": r'\$(?=\\[a-zA-Z]|[\d~{])|(?<=[a-zA-Z}\d])\$(?!\w)', "to": ""},
            "times": {"re": r'\\times\b|\{\\?times\}', "to": "×"},
            "percent": {"re": r'\{\\%\}|\\%', "to": "%"},
            "sim": {"re": r'\{?\\sim\b\}?', "to": "~"},
            # "1.5--3.2", "2.1$\times$--3.4$\times$": a LaTeX en dash in a range
            "double_dash": {"re": r'(?<=[\d%×x$}])\s?---?\s?(?=[\d$])', "to": "-"},
            # Unicode minus and dashes in ranges: "30−45%", "2–4×"
            "minus": {"re": r'−', "to": "-"},
            "range_dash": {"re": r'(?<=[\d%×x])\s?[–—]\s?(?=\d)', "to": "-"},
            # PDF hyphenation: "acceler- ation", "la- tency" (not "CPU- and GPU-based")
            "hyphenation": {"re": r'(?<=[a-z])-\s+(?=(?!(?:and|or|to|nor|vs|versus|but|as|than)\b)[a-z])', "to": ""},
            # spaced decimals: "5 . 5 x"
            "spaced_decimal": {"re": r'(?<=\d)\s\.\s(?=\d)', "to": "."},
        },
    },
}
