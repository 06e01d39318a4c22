"""Fine-tuning ClinicalGPT generators: training examples in the inference prompt format, LoRA SFT, DPO.

Layering: this package sits in the `model` layer; it reads the knowledge base (`knowledge`) and builds prompts
with the chain's own code (`rag.prompts`), and never imports `eval`.
"""
