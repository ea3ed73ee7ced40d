import { defineSubject } from '../src/suite.js'

defineSubject('professional_law')
