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
        "claims_re": r'(?i)\d\s?\$?(?:[x×%]|\\%|\{\\?%\}|\{?\\?times|-fold|\s(?:times|fold|percent))|twice|doubl|half|halv|orders? of magnitude|(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|fifty|hundred|thousand)[\s-](?:times|fold)',
        # per fact pattern: facts_from_texts scans a pattern (in Rust, see etl.extract.facts.FACT_SCANS) only on
        # the rows where its trigger fires, so each trigger must be a necessary condition of its pattern
        "facts": {
            # hardware: every pattern of [facts.hardware] contains one of these (a device number, a brand, a family)
            "hardware": r'[AHVBLT]\d\d|RTX|NVIDIA|Nvidia|\d{4}\sGPU|B200|Blackwell|Hopper|Jetson|DGX-|TPU|MI\d{3}|Alveo|Versal|Ascend|Gaudi|CPU|FPGA|x86|ARM|RDU|Raspberry|Dimensity|Apple',
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
                "count": r'(?i)\d.*(?:gpu|tpu|npu|accelerator)',
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
        # "X% of the baseline's compute" / "reduce it to X%" -> multiplier 100/X
        "fraction": {
            "after_re": r'\s*of\s+(?:the\s+|their\s+|its\s+|that\s+of\s+)?',
            "before_re": r'(?:(?<!up\s)\bto|\bonly|\bjust|\brequires|\buses|\busing|\butilizing|\bneeds)\s*$',
        },
    },
    "metrics": {
        "scoring": {
            # clause breaks cost `clause_penalty` each; a comma inside a list of numbers ("2.8x, 3.3x, and 2.4x") is none
            "clause_break_re": r'[;:]|\s(?:while|whereas|with)\s|,(?!\s*(?:and\s+|or\s+)?(?:by\s+)?(?:up\s+to\s+)?[\d~])',
        },
    },
    "out_of_scope": {
        # growth trends of the field, not results of the work ("doubling every few months", "have grown 1000x")
        "trend_re": r'\b(?:every|each\s+year|per\s+year|annually|grown|grew|growth|has\s+grown|have\s+grown)\b',
        # absolute figures that look like claims: "55.2% MFU", "90% scaling efficiency", "40% of peak"
        "absolute_re": r'(?:of\s+(?:the\s+)?peak|scaling efficienc|weak scaling|strong scaling|gpu throughputs of|utilization\)|failure rates?)',
    },
    "baseline": {
        # lead-ins with words between: "compared our approach with X"
        "lead_in_res": [
            r'\bcompar(?:ed|ing|e)\s+(?:\w+\s+){1,3}?(?:with|to|against)\b',
        ],
        # a lead-in followed by a number or qualifier is no baseline ("more than 10x", "over 20%")
        "not_followed_by_re": r'\s*(?:a\s+|an\s+)?(?:[~>≈∼]|\d(?![\d,.]*-[A-Za-z])|half\b|twice\b|doubl|an order|orders|one|two|three|four|five|six|seven|eight|nine|ten|several|hundreds|thousands|millions|billions|the course|time\b|\$)',
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
          while|shows?|is|are|was|were|can|could|would|will|across)\b
  | \s+and\s+(?:\S+\s+){0,2}?\d
  | \s+(?:over|about|nearly|around|approximately|roughly|up\s+to)\s+\d
  | \s*\((?=\s*\d)
  | \s*--
  | \s+\d+(?:\.\d+)?\s*(?:x|×|times|\\times|%|\\%)
  | (?:'s|’s)\s+\d
  | $''',
        # leading words trimmed from the phrase
        "strip_leading_re": r'^(?:all|even|corresponding|respective|those\s+of|that\s+of|that\s+of\s+the|the\s+performance\s+of)\s+',
        # what is left is no baseline when it is only one of these words
        "empty_re": r'(?:the|a|an|this|that|these|those|it|them|ours|its|their)',
        # "reduces the communication volume of ZeRO by 4x": the named owner of the metric is the baseline
        "of_name_by_re": r'\bof\s+(?P<name>[A-Z][\w.+\-]*(?:\s+[A-Z][\w.+\-]*)?)\s+by\b',
        # "'s" left dangling before a stripped number ("Diffusion Policy's 100")
        "strip_trailing_re": r"(?:'s|’s|\s*\[[\d,\s–-]+\]|\s+(?:baseline\s+)?(?:by|in|of|and|the|a|an|with))+$",
        "appositive_name_re": r'[A-Z][\w.+\-]*[A-Z0-9][\w.+\-]*|[A-Za-z][a-z]*[A-Z][\w.+\-]*',
        # a baseline from the previous sentence carries over when that sentence framed the comparison
        # ("Compared to X, ..." at its start, or "... outperforms X ...")
        "carry_over_re": r'^(?:compared\s+(?:to|with)|in\s+comparison\s+(?:to|with)|relative\s+to|against)\b|\b(?:outperform(?:s|ed)?|surpass(?:es|ed)?)\b',
    },
    "facts": {
        "model_size": {
            "patterns": {
                # "LLaMA2-7B", "OPT 66B", "Llama 3.1 8B", "175B", "8x7B" (multiplied out), "13B parameter"
                "compact": r'(?:(?<=sim)|(?<=\\sim)|(?<![\w.]))(?:(?P<experts>\d+)[x×])?(?P<n>\d+(?:\.\d+)?)\s?(?P<s>[BbT])(?![\w])(?!\s*(?:tokens?|bytes?|words?|images?|samples?|pairs?|examples?|instructions?|sentences?|documents?|steps?|experiences?|frames?|rows?|edges?|nodes?|users?|queries|requests|flops?)\b)',
                # "1.3 billion parameters", "5.7M parameters", "500-billion parameter models", "1.5 trillion parameters"
                "spelled": r'''(?x)(?:(?<=sim)|(?<![\w.]))(?P<n>\d+(?:\.\d+)?|one|two|three|four|five|ten|a)[\s-]?(?P<s>[KkMmBbTt]|thousand|million|billion|trillion)
    (?=(?:\s*,?\s*(?:and\s+)?\d+(?:\.\d+)?[\s-]?(?:[KkMmBbTt]|thousand|million|billion|trillion)\b)*[\s-]+(?:\w+[\s-]+)?(?:parameters?|params)\b)''',
                # "trillion-parameter", "billion-parameter scale" (no number: one unit)
                "bare": r'\b(?P<s>billion|trillion)-(?:parameters?|scale)\b',
                # "from 124M to 1.5B": the first end of a size range (the second is found on its own)
                "range": r'(?<![\w.])(?P<n>\d+(?:\.\d+)?)\s?(?P<s>[MBT])\s*(?:to|-|–)\s*\d+(?:\.\d+)?\s?[BT]\b',
                # compact sizes must sit next to a model name or a model word
                "compact_context_re": r'[A-Za-z][\w.]*[-\s]+(?:\d+(?:\.\d+)?[-\s])?$|\(\s*$|^\s*(?:[\w-]+\s+)?(?:parameters?|params|models?|llms?|lms?|dense|moe|transformers?|student|teacher|base|instruct|chat)\b',
                # ranges of magnitude that are projections, not sizes
                "not_preceded_by_re": r'(?:hundreds|tens|thousands|billions|trillions)\s+of\s*$',
            },
        },
        "gpu_count": {
            # accelerator nouns that are counted
            "accelerators_re": r'(?:gpus?|gpu\s+cards?|tpus?(?:\s?v\d\w*)?(?:\s+(?:chips?|cores?))?|npus?|accelerators?)\b(?!\s*-?\s*(?:hours?|hrs?|days?|years?|time|memory|utilization|kernels?|seconds?))',
            # consumer GPU model numbers ("on 4090 GPU") are devices, not counts
            "device_numbers_re": r'(?:[1-5]0[5-9]0|[1-9]080|1660)(?!\d)',
            # optional device model between the count and the noun ("48 A100 GPU cards", "32 NVIDIA A100 GPUs")
            "device_between_re": r'(?:(?:nvidia|amd|intel|google|cloud|huawei)\s+)?(?:[A-Za-z]*\d+[A-Za-z0-9-]*(?:\s+(?:sxm\d?|pcie|\d+\s?gb))*\s+|rtx\s+\d+\s+|(?:geforce|tesla|instinct|ascend|gaudi\d?)\s+\S+\s+|pcie\s+\S+\s+)?',
            # "2,048 GPUs", "8-GPU node", "384 GPU scale"
            "count_re": r'(?<![\w.,])(?<!rtx\s)(?<!gtx\s)(?<!geforce\s)(?<!nvidia\s)(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:-|\s)',
        },
        "hardware": {
            # device mentions as written; normalise.hardware_family() maps them to short names
            "patterns": [
                r'\b(?:NVIDIA\s+|Nvidia\s+|nvidia\s+)?(?:Tesla\s+)?(?:DGX[-\s]?)?[AHVBLT]\d{2,3}S?(?:[-\s]?(?:\d+\s?GB|SXM\d?|PCIe|NVL|\d+G))*\b',
                r'(?:NVIDIA\s+|Nvidia\s+)?(?:GeForce\s+)?RTX\s?(?:A)?\d{4}(?:\s?Ti)?\b',
                r'(?:NVIDIA\s+|Nvidia\s+)(?:GeForce\s+)?\d{4}\b',
                r'\b\d{4}\s(?=GPU)',
                r'\bGH200\b|\bGB200\b|\bB200\b|\bBlackwell\b|\bHopper\b|\bJetson\s\w+(?:\s\w+)?',
                r'\bDGX-\d\b',
                r'(?:Cloud\s+|Edge\s+)?TPU\s?v\d\w?\b|\bEdge\s+TPU\b',
                r'(?:AMD\s+)?(?:Instinct\s+)?MI\d{3}X?\b',
                r'(?:Xilinx\s+|AMD\s+)?(?:Alveo|Versal)\s+[A-Z]+\d+\w*',
                r'\bAscend(?:\s?\d+\w*)?(?:\s+NPUs?)?',
                r'\bGaudi\s?\d?\b',
                r'\bCPUs?\b',
                r'\bFPGAs?\b',
                r'\bx86\b',
                r'\bARM(?:\s+Cortex[-\s]A\d+)?\b|\bARM-Cortex\s+A\d+',
                r'\bRDUs?\b',
                r'\bRaspberry\s+Pi(?:\s+\d)?(?:\s+Model\s+[A-Z])?',
                r'\b(?:MediaTek\s+)?Dimensity\s+\d+',
                r'\bApple\s+M\d\w*',
            ],
            # a CPU counts only when the work runs on it, not as "CPU memory" / "CPU-GPU"
            "not_followed_by_re": r'\s+(?:utilization|usage|performance|speculative)',
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
}
