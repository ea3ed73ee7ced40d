import { defineSubject } from '../src/suite.js'

defineSubject('college_chemistry')
