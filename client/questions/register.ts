// Registers every question element (each file defines its own tag).
import './likert-question.ts';
import './slider-question.ts';
import './choice-question.ts';
import './judgment-question.ts';
import './text-question.ts';
import './boundary-question.ts';
import './demographics-question.ts';
import './attention-question.ts';
import './comprehension-question.ts';
import './ranking-question.ts';

import './categorize-question.ts';
